import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, RestartableProcess, waitFor } from '@fos/stack/process';
import { composePrometheusFlags } from '@fos/stack/prometheus';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';

const prometheusBinary = pinnedTool('prometheus');

interface LiveAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

/**
 * Prometheus with the flags docker-compose.yml gives it and one alert that is pending for 40 s from
 * the first evaluation: the test restarts it part-way and reads when the alert is said to have begun.
 */
async function startWithPendingAlert(dir: string) {
  const port = await freePort();
  await writeFile(
    join(dir, 'rules.yml'),
    'groups:\n  - name: restart\n    interval: 2s\n    rules:\n      - alert: AlwaysPending\n        expr: vector(1)\n        for: 40s\n',
  );
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  evaluation_interval: 2s\nrule_files: ['${join(dir, 'rules.yml')}']\n`,
  );
  const url = `http://127.0.0.1:${port}`;
  const prometheus = new RestartableProcess(
    'prometheus',
    prometheusBinary as string,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...composePrometheusFlags(),
    ],
    `${url}/-/ready`,
  );
  await prometheus.start();
  const alert = async () => {
    const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: LiveAlert[] } };
    return body.data.alerts.find((a) => a.labels.alertname === 'AlwaysPending');
  };
  return { prometheus, alert };
}

describe.skipIf(!prometheusBinary)('Prometheus restarted while an alert is pending', () => {
  it('keeps the time the alert has been pending (the for: grace period of docker-compose.yml)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prometheus-restart-'));
    const { prometheus, alert } = await startWithPendingAlert(dir);
    try {
      const before = await waitFor('the alert pending', alert, { timeoutMs: 20_000, intervalMs: 200 });
      const began = Date.parse(before.activeAt);
      // 15 s into its 40 s, so that 25 s remain: more than the grace period.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + 15_000 - Date.now())));
      const restartedAt = Date.now();
      await prometheus.restart('SIGTERM');
      // The rule engine restores after its second evaluation; until then the alert is new.
      const restored = await waitFor(
        'the pending time restored',
        async () => {
          const now = await alert();
          return now && Date.parse(now.activeAt) < restartedAt ? now : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      ).catch(async () => alert());
      const activeAt = Date.parse(restored?.activeAt ?? '');
      // Restored: it began before the restart (by the time served, less the few seconds it was down),
      // not at the restart, which is what the default 10m grace period does to a 40s for:.
      expect(
        restartedAt - activeAt,
        `began ${restored?.activeAt}, restarted ${new Date(restartedAt).toISOString()}`,
      ).toBeGreaterThan(8000);
      expect(restored?.state).toBe('pending');
    } finally {
      await prometheus.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
