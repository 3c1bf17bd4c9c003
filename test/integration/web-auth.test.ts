// Part of what docker-compose.yml does beyond 127.0.0.1, on the real binaries: the web configuration
// web-auth writes makes the pinned Prometheus and Alertmanager refuse every request without the
// stack's login (the write receivers too), and the logins the stack's own clients send (prometheus.yml's
// basic_auth, the services' client from service-kit) get through. The compose test runs the whole stack so.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readYaml } from '@fos/repo/paths';
import { PrometheusClient as ServicePrometheusClient } from '@fos/service-kit';
import { freePort, ManagedProcess, waitFor } from '@fos/stack/process';
import { authorization, composePrometheusFlags, type Login, PrometheusClient } from '@fos/stack/prometheus';
import { pinnedTool } from '@fos/stack/tools';
import { renderWebConfig, STACK_USER } from '@fos/web-auth/web-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const prometheusBinary = pinnedTool('prometheus');
const alertmanagerBinary = pinnedTool('alertmanager');

interface StackLogin {
  username: string;
  password_file: string;
}
/** The login prometheus.yml gives its alerting and its scrapes of the stack's own parts. */
const repoLogins = (() => {
  const config = readYaml<{
    alerting: { alertmanagers: { basic_auth?: StackLogin }[] };
    scrape_configs: { job_name: string; basic_auth?: StackLogin }[];
  }>('prometheus/prometheus.yml');
  return {
    alerting: config.alerting.alertmanagers[0]?.basic_auth,
    scrapes: Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.basic_auth])),
  };
})();

/** 12 characters of a URL-safe alphabet and more, as make up makes them. */
const randomPassword = () => randomBytes(18).toString('base64url');

describe.skipIf(!prometheusBinary || !alertmanagerBinary)(
  'the stack login on the real Prometheus and Alertmanager',
  () => {
    let dir = '';
    const password = randomPassword();
    const login: Login = { username: STACK_USER, password };
    const started: ManagedProcess[] = [];
    const url = { prometheus: '', alertmanager: '', openPrometheus: '' };

    async function start(
      name: string,
      binary: string,
      args: string[],
      ready: string,
      headers: Login | undefined,
    ) {
      const process = new ManagedProcess(name, binary, args);
      started.push(process);
      await waitFor(
        `${name} ready`,
        async () => (await fetch(ready, { headers: authorization(headers) })).ok || undefined,
        { timeoutMs: 30_000 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${process.log}`);
      });
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'web-auth-'));
      const passwordFile = join(dir, 'stack_password');
      await writeFile(passwordFile, `${password}\n`);
      await writeFile(join(dir, 'published.yml'), await renderWebConfig('192.168.1.10', password));
      await writeFile(join(dir, 'loopback.yml'), await renderWebConfig('127.0.0.1', password));
      const ports = { prometheus: await freePort(), alertmanager: await freePort(), open: await freePort() };
      url.prometheus = `http://127.0.0.1:${ports.prometheus}`;
      url.alertmanager = `http://127.0.0.1:${ports.alertmanager}`;
      url.openPrometheus = `http://127.0.0.1:${ports.open}`;

      await writeFile(
        join(dir, 'alertmanager.yml'),
        stringify({ route: { receiver: 'none' }, receivers: [{ name: 'none' }] }),
      );
      await start(
        'alertmanager',
        alertmanagerBinary as string,
        [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
          '--cluster.listen-address=',
          `--web.config.file=${join(dir, 'published.yml')}`,
        ],
        `${url.alertmanager}/-/ready`,
        login,
      );
      // prometheus.yml's logins, with the password file here: scrapes of itself and of the Alertmanager,
      // and an alert that fires at once, sent to it.
      const withFile = (stackLogin?: StackLogin) =>
        stackLogin && { ...stackLogin, password_file: passwordFile };
      await writeFile(
        join(dir, 'rules.yml'),
        stringify({ groups: [{ name: 't', rules: [{ alert: 'Always', expr: 'vector(1)' }] }] }),
      );
      await writeFile(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [join(dir, 'rules.yml')],
          alerting: {
            alertmanagers: [
              {
                static_configs: [{ targets: [`127.0.0.1:${ports.alertmanager}`] }],
                basic_auth: withFile(repoLogins.alerting),
              },
            ],
          },
          scrape_configs: [
            {
              job_name: 'prometheus',
              static_configs: [{ targets: [`127.0.0.1:${ports.prometheus}`] }],
              basic_auth: withFile(repoLogins.scrapes.prometheus),
            },
            {
              job_name: 'alertmanager',
              static_configs: [{ targets: [`127.0.0.1:${ports.alertmanager}`] }],
              basic_auth: withFile(repoLogins.scrapes.alertmanager),
            },
          ],
        }),
      );
      const prometheusArgs = (port: number, webConfig: string, data: string) => [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, data)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.config.file=${join(dir, webConfig)}`,
        ...composePrometheusFlags(),
      ];
      const instances = [
        { name: 'prometheus', port: ports.prometheus, webConfig: 'published.yml', asks: login },
        { name: 'prometheus on 127.0.0.1', port: ports.open, webConfig: 'loopback.yml', asks: undefined },
      ];
      await Promise.all(
        instances.map(({ name, port, webConfig, asks }) =>
          start(
            name,
            prometheusBinary as string,
            prometheusArgs(port, webConfig, `${port}-data`),
            `http://127.0.0.1:${port}/-/ready`,
            asks,
          ),
        ),
      );
    }, 90_000);

    afterAll(async () => {
      await Promise.all(started.map((process) => process.stop()));
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('gives prometheus.yml one login for the alerting and for the scrapes of Prometheus and the Alertmanagers', () => {
      expect(repoLogins.alerting).toEqual({
        username: STACK_USER,
        password_file: '/run/secrets/stack_password',
      });
      expect(repoLogins.scrapes.prometheus).toEqual(repoLogins.alerting);
      expect(repoLogins.scrapes.alertmanager).toEqual(repoLogins.alerting);
    });

    it('refuses every request without the login, or with a wrong one: the UI, the API and both write receivers', async () => {
      const wrong: Login = { username: STACK_USER, password: randomPassword() };
      const requests: [string, RequestInit][] = [
        [`${url.prometheus}/-/ready`, {}],
        [`${url.prometheus}/api/v1/query?query=up`, {}],
        [`${url.prometheus}/api/v1/write`, { method: 'POST', body: 'x' }],
        [`${url.prometheus}/api/v1/otlp/v1/metrics`, { method: 'POST', body: 'x' }],
        [`${url.alertmanager}/-/ready`, {}],
        [
          `${url.alertmanager}/api/v2/alerts`,
          { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } },
        ],
      ];
      for (const [target, init] of requests) {
        for (const credentials of [undefined, wrong, { username: 'admin', password }]) {
          const response = await fetch(target, {
            ...init,
            headers: { ...init.headers, ...authorization(credentials) },
          });
          expect(
            response.status,
            `${init.method ?? 'GET'} ${target} as ${credentials?.username ?? 'nobody'}`,
          ).toBe(401);
        }
      }
      const answered = await fetch(`${url.prometheus}/-/ready`, { headers: authorization(login) });
      expect(answered.status).toBe(200);
    });

    it("lets the stack's own clients in: Prometheus scrapes itself and the Alertmanager, and its alert reaches the Alertmanager", async () => {
      const prometheus = new PrometheusClient(url.prometheus, login);
      const up = await waitFor(
        'both scrapes up',
        async () => {
          const samples = await prometheus.query('up');
          return samples.length === 2 && samples.every((s) => s.value[1] === '1') ? samples : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(up.map((s) => s.metric.job).sort()).toEqual(['alertmanager', 'prometheus']);
      const alerts = await waitFor(
        'the alert at the Alertmanager',
        async () => {
          const response = await fetch(`${url.alertmanager}/api/v2/alerts`, {
            headers: authorization(login),
          });
          const body = (await response.json()) as { labels: Record<string, string> }[];
          return body.length > 0 ? body : undefined;
        },
        // An evaluation, then Prometheus' notifier batch: seconds alone, but a CI run with stacks
        // beside it once took longer than 30 s.
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(alerts.map((a) => a.labels.alertname)).toEqual(['Always']);
      // Room for both waits above: the project's 60 s cut the second short in a CI run.
    }, 120_000);

    it("lets the services' Prometheus client (service-kit's, which the Telex integration uses) in with the login, and says what is missing without it", async () => {
      const at = new Date();
      const withLogin = new ServicePrometheusClient(url.prometheus, 5000, login);
      expect(await withLogin.query('vector(7)', at)).toEqual([{ labels: {}, value: 7 }]);
      await expect(new ServicePrometheusClient(url.prometheus, 5000).query('vector(7)', at)).rejects.toThrow(
        /asks for a login \(HTTP 401\): set PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE$/,
      );
      const wrong = new ServicePrometheusClient(url.prometheus, 5000, {
        username: STACK_USER,
        password: 'nope-nope-nope',
      });
      await expect(wrong.query('vector(7)', at)).rejects.toThrow(/refused the login \(HTTP 401\)/);
    });

    it('asks no login on 127.0.0.1 (the default), and takes one sent anyway: the clients send it always', async () => {
      expect((await fetch(`${url.openPrometheus}/api/v1/query?query=vector(1)`)).status).toBe(200);
      const sentAnyway = await fetch(`${url.openPrometheus}/api/v1/query?query=vector(1)`, {
        headers: authorization(login),
      });
      expect(sentAnyway.status).toBe(200);
    });
  },
);
