import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fos/stack/exec';
import { composePrometheusFlags } from '@fos/stack/prometheus';
import { pinnedTool } from '@fos/stack/tools';
import { STACK_USER } from '@fos/web-auth/web-config';
import * as webappConfig from '@fos/webapp/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, readYaml, repoPath } from '../support/repo.ts';

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  user?: string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[]; start_interval?: string };
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string;
  profiles?: string[];
  restart?: string;
  secrets?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  tmpfs?: string[];
}
interface Compose {
  'x-node-build-args': { NODE_IMAGE: string };
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  [key: string]: unknown;
}

const compose = readYaml<Compose>('docker-compose.yml');
const services = Object.entries(compose.services);
/** Services that run until stopped; the rest (web-auth) do their work and exit. */
const longRunning = services.filter(([, s]) => s.restart !== 'no');
/**
 * VictoriaLogs' image is distroless from 1.52 on: no shell, no HTTP client, so no healthcheck can run
 * in it. Prometheus scrapes it (TelemetryBackendDown), and nothing depends on it.
 */
const NO_HEALTHCHECK_POSSIBLE = ['victorialogs'];
const checked = longRunning.filter(([name]) => !NO_HEALTHCHECK_POSSIBLE.includes(name));
const dockerCompose = pinnedTool('docker-compose');

describe.skipIf(!dockerCompose)('docker compose config (the pinned Compose)', () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };

  /** .env.example as a user's .env, with the password line as given. */
  async function envFile(password: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'compose-env-'));
    const file = join(dir, '.env');
    const example = readFileSync(repoPath('.env.example'), 'utf8');
    await writeFile(
      file,
      example.replace(/^GRAFANA_ADMIN_PASSWORD=$/m, `GRAFANA_ADMIN_PASSWORD=${password}`),
    );
    return file;
  }

  it('accepts the file with the settings of .env.example and a password', async () => {
    const result = await run(dockerCompose as string, ['--env-file', await envFile('test-only'), 'config'], {
      cwd: REPO,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    const resolved = parse(result.stdout) as {
      services: Record<string, { environment: Record<string, string>; ports: Record<string, unknown>[] }>;
    };
    expect(resolved.services.grafana?.environment.GF_SECURITY_ADMIN_PASSWORD).toBe('test-only');
    expect(resolved.services.grafana?.ports).toEqual([
      expect.objectContaining({ host_ip: '127.0.0.1', published: '3000', target: 3000 }),
    ]);
  });

  it('publishes the UIs on PUBLISH_ADDRESS, with the links in alerts pointing there, and the rest on 127.0.0.1', async () => {
    const file = await envFile('test-only');
    await writeFile(
      file,
      readFileSync(file, 'utf8').replace(/^PUBLISH_ADDRESS=.*$/m, 'PUBLISH_ADDRESS=192.168.1.10'),
    );
    const result = await run(dockerCompose as string, ['--env-file', file, 'config'], { cwd: REPO, env });
    expect(result.code, result.stderr).toBe(0);
    const resolved = parse(result.stdout) as {
      services: Record<
        string,
        { environment?: Record<string, string>; ports?: { host_ip: string }[]; command?: string[] }
      >;
    };
    const hosts = Object.fromEntries(
      Object.entries(resolved.services).map(([name, s]) => [name, (s.ports ?? []).map((p) => p.host_ip)]),
    );
    expect(hosts).toMatchObject({
      grafana: ['192.168.1.10'],
      prometheus: ['192.168.1.10'],
      alertmanager: ['192.168.1.10'],
      'alertmanager-2': ['192.168.1.10'],
      maildev: ['127.0.0.1'],
      webapp: ['127.0.0.1'],
      'telex-integration': ['127.0.0.1'],
    });
    expect(resolved.services.prometheus?.command).toContain('--web.external-url=http://192.168.1.10:9090');
    expect(resolved.services.alertmanager?.command).toContain('--web.external-url=http://192.168.1.10:9093');
    expect(resolved.services.alertmanager?.environment?.GRAFANA_URL).toBe('http://192.168.1.10:3000');
    expect(resolved.services['web-auth']?.environment?.PUBLISH_ADDRESS).toBe('192.168.1.10');
  });

  it('starts without Grafana when .env sets COMPOSE_PROFILES empty', async () => {
    const file = await envFile('test-only');
    await writeFile(
      file,
      readFileSync(file, 'utf8').replace(/^COMPOSE_PROFILES=grafana$/m, 'COMPOSE_PROFILES='),
    );
    const result = await run(dockerCompose as string, ['--env-file', file, 'config', '--services'], {
      cwd: REPO,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    const started = result.stdout.trim().split('\n');
    expect(started).not.toContain('grafana');
    expect(started).toEqual(expect.arrayContaining(['webapp', 'prometheus', 'alertmanager', 'maildev']));
  });

  it.for([
    ['grafana', '', 'http://127.0.0.1:3000'],
    ['', '', ''],
    ['', 'https://grafana.example.com', 'https://grafana.example.com'],
    ['grafana', 'https://grafana.example.com', 'https://grafana.example.com'],
  ])(
    'links alerts and reports to Grafana only where one runs: COMPOSE_PROFILES=%j GRAFANA_URL=%j gives %j',
    async ([profiles, grafanaUrl, expected]) => {
      const file = await envFile('test-only');
      await writeFile(
        file,
        readFileSync(file, 'utf8')
          .replace(/^COMPOSE_PROFILES=.*$/m, `COMPOSE_PROFILES=${profiles}`)
          .replace(/^GRAFANA_URL=.*$/m, `GRAFANA_URL=${grafanaUrl}`),
      );
      const result = await run(dockerCompose as string, ['--env-file', file, 'config'], { cwd: REPO, env });
      expect(result.code, result.stderr).toBe(0);
      const { services } = parse(result.stdout) as {
        services: Record<string, { environment?: Record<string, string> }>;
      };
      for (const name of ['alertmanager', 'alertmanager-2', 'telex-integration'])
        expect(services[name]?.environment?.GRAFANA_URL, name).toBe(expected);
    },
  );

  it('turns a chat receiver on from its .env setting alone, mounting its URL file read-only', async () => {
    const resolve = async (extra: Record<string, string>) => {
      const result = await run(
        dockerCompose as string,
        ['--env-file', await envFile('test-only'), 'config'],
        {
          cwd: REPO,
          env: { ...env, ...extra },
        },
      );
      expect(result.code, result.stderr).toBe(0);
      const alertmanager = (
        parse(result.stdout) as {
          services: Record<
            string,
            { environment: Record<string, string>; volumes: Record<string, unknown>[] }
          >;
        }
      ).services.alertmanager;
      const mount = (target: string) => alertmanager?.volumes.find((v) => v.target === target);
      return { environment: alertmanager?.environment ?? {}, mount };
    };
    const off = await resolve({});
    for (const name of [
      'SLACK_WEBHOOK_URL_FILE',
      'DISCORD_WEBHOOK_URL_FILE',
      'TEAMS_WEBHOOK_URL_FILE',
      'TELEX_WEBHOOK_URL',
    ]) {
      expect(off.environment[name] ?? '', name).toBe('');
    }
    expect(off.mount('/run/secrets/slack_webhook_url')).toMatchObject({
      source: repoPath('alertmanager/empty-secret'),
      read_only: true,
    });
    const on = await resolve({
      SLACK_WEBHOOK_URL_FILE: './secrets/slack_webhook_url',
      TELEX_WEBHOOK_URL: 'https://ping.telex.im/v1/webhooks/x',
    });
    expect(on.environment.SLACK_WEBHOOK_URL_FILE).toBe('/run/secrets/slack_webhook_url');
    expect(on.environment.DISCORD_WEBHOOK_URL_FILE ?? '').toBe('');
    expect(on.environment.TELEX_WEBHOOK_URL).toBe('https://ping.telex.im/v1/webhooks/x');
    expect(on.mount('/run/secrets/slack_webhook_url')).toMatchObject({
      source: repoPath('secrets/slack_webhook_url'),
      read_only: true,
    });
  });

  it('names a bad port of .env before make up builds anything (check-env.sh --before-build)', async () => {
    const file = await envFile('test-only');
    await writeFile(file, readFileSync(file, 'utf8').replace(/^WEBAPP_PORTS=.*$/m, 'WEBAPP_PORTS=abc'));
    const checked = await run(
      repoPath('scripts/check-env.sh'),
      ['--before-build', file, dockerCompose as string, '--env-file', file],
      { cwd: REPO, env },
    );
    expect(checked.code).toBe(2);
    expect(checked.stderr.trim()).toMatch(/^make up: WEBAPP_PORTS=abc in \S+: expected a port number/);
    const goodFile = await envFile('test-only');
    const good = await run(
      repoPath('scripts/check-env.sh'),
      ['--before-build', goodFile, dockerCompose as string, '--env-file', goodFile],
      { cwd: REPO, env },
    );
    expect(good.code, good.stderr).toBe(0);
  });

  it('refuses to start without a Grafana admin password, naming the variable', async () => {
    const result = await run(
      dockerCompose as string,
      ['--env-file', await envFile(''), 'config', '--quiet'],
      {
        cwd: REPO,
        env,
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/GRAFANA_ADMIN_PASSWORD/);
  });
});

describe('docker-compose.yml conventions', () => {
  it('runs eleven services of the stack always (web-auth once, before Prometheus and the Alertmanagers), Grafana in the grafana profile .env.example turns on, k6 on demand', () => {
    const always = services.filter(([, s]) => !s.profiles).map(([name]) => name);
    expect(always.sort()).toEqual(
      [
        'alertmanager',
        'alertmanager-2',
        'jaeger',
        'maildev',
        'profile-collector',
        'prometheus',
        'request-generator',
        'telex-integration',
        'victorialogs',
        'web-auth',
        'webapp',
      ].sort(),
    );
    expect(compose.services.grafana?.profiles).toEqual(['grafana']);
    expect(readFileSync(repoPath('.env.example'), 'utf8')).toMatch(/^COMPOSE_PROFILES=grafana$/m);
    expect(compose.services.k6?.profiles).toEqual(['load']);
  });

  it('runs Prometheus with the behaviour flags the local stack takes from it', () => {
    expect(composePrometheusFlags().sort()).toEqual(
      [
        '--rules.alert.for-grace-period=5s',
        '--enable-feature=exemplar-storage',
        '--web.enable-remote-write-receiver',
        '--web.enable-otlp-receiver',
      ].sort(),
    );
  });

  it('is a Compose Specification file: no obsolete version key', () => {
    expect(compose).not.toHaveProperty('version');
  });

  it('checks health every second while a service starts (start_interval, Docker Engine 25+)', () => {
    for (const [name, service] of checked) expect(service.healthcheck?.start_interval, name).toBe('1s');
  });

  it('pins every image tag', () => {
    for (const [name, service] of services) {
      expect(service.image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/);
    }
    const dockerfileArgs = readFileSync(repoPath('services/Dockerfile'), 'utf8');
    expect(dockerfileArgs).toMatch(/NODE_IMAGE=node:\d+\.\d+\.\d+-bookworm-slim/);
  });

  it('builds every service of services/ from services/Dockerfile, which installs every workspace', () => {
    const folders = readdirSync(repoPath('services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const built = services.filter(([, s]) => s.build?.dockerfile === 'services/Dockerfile');
    expect(built.map(([, s]) => s.build?.args?.SERVICE).sort()).toEqual(folders.sort());
    const dockerfile = readFileSync(repoPath('services/Dockerfile'), 'utf8');
    const workspaces = (
      JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { workspaces: string[] }
    ).workspaces;
    for (const workspace of workspaces)
      expect(dockerfile, workspace).toContain(`COPY ${workspace}/package.json ${workspace}/`);
    for (const [name, service] of built) {
      expect(service.build?.context, name).toBe('.');
      expect(service.build?.args?.NODE_IMAGE, name).toBe(compose['x-node-build-args'].NODE_IMAGE);
    }
  });

  it('gives every long-running service a healthcheck, and waits for health, or for a one-shot to succeed, in every depends_on', () => {
    for (const [name, service] of checked) expect(service.healthcheck?.test, name).toBeDefined();
    for (const name of NO_HEALTHCHECK_POSSIBLE) {
      expect(compose.services[name]?.healthcheck, name).toBeUndefined();
      expect(readFileSync(repoPath('prometheus/prometheus.yml'), 'utf8'), name).toContain(
        `job_name: ${name}`,
      );
    }
    for (const [name, service] of services) {
      for (const [dependency, spec] of Object.entries(service.depends_on ?? {})) {
        const oneShot = compose.services[dependency]?.restart === 'no';
        expect(spec, `${name} → ${dependency}`).toEqual({
          condition: oneShot ? 'service_completed_successfully' : 'service_healthy',
        });
        if (!oneShot) expect(compose.services[dependency]?.healthcheck, dependency).toBeDefined();
      }
    }
    expect(compose.services.prometheus?.depends_on?.['web-auth']).toBeDefined();
    expect(compose.services.alertmanager?.depends_on?.['web-auth']).toBeDefined();
  });

  it('publishes the UIs on PUBLISH_ADDRESS (127.0.0.1 by default), everything else on 127.0.0.1 only', () => {
    const published = ['grafana', 'prometheus', 'alertmanager', 'alertmanager-2'];
    for (const [name, service] of services) {
      for (const port of service.ports ?? []) {
        expect(port, name).toMatch(
          published.includes(name) ? /^\$\{PUBLISH_ADDRESS:-127\.0\.0\.1\}:/ : /^127\.0\.0\.1:/,
        );
      }
    }
  });

  it("logs every client of Prometheus and Alertmanager in as web-auth's user, with the stack password secret", () => {
    expect(compose.secrets).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Compose variable, not a JS template.
      stack_password: { file: '${STACK_PASSWORD_FILE:-./secrets/stack_password}' },
    });
    for (const name of ['web-auth', 'prometheus', 'alertmanager', 'telex-integration', 'grafana', 'k6']) {
      expect(compose.services[name]?.secrets, name).toEqual(['stack_password']);
    }
    for (const name of ['prometheus', 'alertmanager']) {
      expect(compose.services[name]?.healthcheck?.test.join(' '), name).toContain(
        // $$: Compose's escape of $, left for the shell.
        `http://${STACK_USER}:$$(cat /run/secrets/stack_password)@127.0.0.1:`,
      );
    }
    expect(compose.services['telex-integration']?.environment).toMatchObject({
      PROMETHEUS_USERNAME: STACK_USER,
      PROMETHEUS_PASSWORD_FILE: '/run/secrets/stack_password',
    });
    expect(compose.services.k6?.environment?.K6_PROMETHEUS_RW_USERNAME).toBe(STACK_USER);
    expect(compose.services.k6?.entrypoint?.join(' ')).toContain(
      'K6_PROMETHEUS_RW_PASSWORD="$$(cat /run/secrets/stack_password)"',
    );
    const { datasources } = readYaml<{
      datasources: { basicAuth: boolean; basicAuthUser: string; secureJsonData: Record<string, string> }[];
    }>('grafana/provisioning/datasources/prometheus.yml');
    expect(datasources[0]).toMatchObject({
      basicAuth: true,
      basicAuthUser: STACK_USER,
      secureJsonData: { basicAuthPassword: '$__file{/run/secrets/stack_password}' },
    });
    for (const name of ['prometheus', 'alertmanager', 'alertmanager-2']) {
      const service = compose.services[name] as Service & { command: string[] };
      expect(service.command, name).toContain('--web.config.file=/etc/web-auth/web.yml');
      expect(service.volumes, name).toContain('web-auth:/etc/web-auth:ro');
    }
  });

  it('mounts configuration read-only and keeps data in named volumes', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source?.startsWith('./') || source?.startsWith('${')) expect(volume, name).toMatch(/:ro$/);
        else expect(Object.keys(compose.volumes), `${name}: ${volume}`).toContain(source);
      }
    }
    for (const volume of ['prometheus-data', 'alertmanager-data', 'grafana-data', 'counter-data']) {
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
  });

  it("makes the webapp image's own checkpoint directory writable, so that it checkpoints alone (docker run) as in Compose", () => {
    const webapp = compose.services.webapp as Service;
    const dockerfile = readFileSync(repoPath('services/Dockerfile'), 'utf8');
    const workdir = /^WORKDIR (\S+)$/gm.exec(dockerfile.slice(dockerfile.lastIndexOf('FROM ')))?.[1];
    // The default the webapp reads with nothing set, resolved in the image's working directory.
    const { loadConfig } = webappConfig;
    const checkpointDir = join(workdir ?? '', loadConfig({}).counterCheckpointPath, '..');
    expect(webapp.build?.args?.WRITABLE_DIRS?.split(' ')).toContain(checkpointDir);
    expect(webapp.environment?.COUNTER_CHECKPOINT_PATH).toBeUndefined();
    expect(webapp.volumes).toContain(`counter-data:${checkpointDir}`);
  });

  it('leaves no anonymous volume behind: what an image declares a volume is a named volume or a tmpfs', () => {
    // Jaeger's image declares /tmp a volume; make down would leave one behind per container.
    expect(compose.services.jaeger?.tmpfs).toContain('/tmp');
  });

  it('runs nothing as root and limits memory', () => {
    for (const [name, service] of services) {
      expect(service.mem_limit, name).toMatch(/^\d+[mg]$/);
      if (service.build) {
        const dockerfile = readFileSync(
          repoPath(
            `${service.build.context === '.' ? '' : `${service.build.context}/`}${service.build.dockerfile ?? 'Dockerfile'}`,
          ),
          'utf8',
        );
        // By number (node's 1000): Kubernetes' runAsNonRoot verifies only a numeric user.
        expect(dockerfile, name).toMatch(/^USER [1-9]\d*:\d+$/m);
      } else {
        expect(service.user, name).toMatch(/^[1-9]\d*(:\d+)?$/);
      }
    }
  });

  it('documents every variable it reads in .env.example', () => {
    const text = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    const example = readFileSync(repoPath('.env.example'), 'utf8');
    const variables = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    expect(variables.size).toBeGreaterThan(10);
    for (const variable of variables) expect(example, variable).toMatch(new RegExp(`^${variable}=`, 'm'));
  });

  it('has no default Grafana password anywhere', () => {
    const example = readFileSync(repoPath('.env.example'), 'utf8');
    expect(example).toMatch(/^GRAFANA_ADMIN_PASSWORD=$/m);
    expect(readFileSync(repoPath('docker-compose.yml'), 'utf8')).toMatch(/GRAFANA_ADMIN_PASSWORD:\?/);
  });
});
