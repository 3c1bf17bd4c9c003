// What `make up-local` says about the web UIs rests on these probes: binaries built from the Go
// modules (in .tools/) have none, official release binaries have both.

import { repoPath } from '@fos/repo/paths';
import { type RunningAlertmanager, startAlertmanager } from '@fos/stack/alertmanager';
import { freePort } from '@fos/stack/process';
import { type RunningPrometheus, startPrometheus } from '@fos/stack/prometheus';
import { pinnedTool, pinOf } from '@fos/stack/tools';
import { alertmanagerHasWebUi, prometheusHasWebUi } from '@fos/stack/web-ui';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const prometheusBinary = pinnedTool('prometheus');
const alertmanagerBinary = pinnedTool('alertmanager');
const builtHere = (binary: string) => binary.startsWith(repoPath('.tools/'));

describe.skipIf(!prometheusBinary || !alertmanagerBinary)('web UI probes', () => {
  let prometheus: RunningPrometheus;
  let alertmanager: RunningAlertmanager;

  beforeAll(async () => {
    alertmanager = await startAlertmanager(alertmanagerBinary as string, await freePort());
    prometheus = await startPrometheus(prometheusBinary as string, {
      webappTargets: [`127.0.0.1:${await freePort()}`],
      alertmanagers: [new URL(alertmanager.url).host],
    });
  }, 45_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
  });

  it('tell a Prometheus built from its Go module (no UI) from a release binary', async () => {
    expect(await prometheusHasWebUi(prometheus.url)).toBe(!builtHere(prometheusBinary as string));
    // The API works either way.
    const buildinfo = (await (await fetch(`${prometheus.url}/api/v1/status/buildinfo`)).json()) as {
      data: { version: string };
    };
    expect(buildinfo.data.version).toBe(pinOf('prometheus'));
  });

  it('tell an Alertmanager built from its Go module (the page that says so) from a release binary', async () => {
    expect(await alertmanagerHasWebUi(alertmanager.url)).toBe(!builtHere(alertmanagerBinary as string));
    expect((await fetch(`${alertmanager.url}/api/v2/status`)).ok).toBe(true);
  });
});
