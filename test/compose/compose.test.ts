import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, repoPath } from '@fos/repo/paths';
import { a2aCall, answerText, telexMessageSend } from '@fos/stack/a2a';
import { run } from '@fos/stack/exec';
import { MaildevApi } from '@fos/stack/maildev';
import { freePort, ManagedProcess, waitFor } from '@fos/stack/process';
import { authorization, type Login, PrometheusClient } from '@fos/stack/prometheus';
import { pinnedTool, pinOf } from '@fos/stack/tools';
import { pinnedVersion } from '@fos/stack/versions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_STACK_DASHBOARDS,
  expectEveryPanelHasData,
  expectEveryRecordingRuleHasData,
  expectEveryTraceAndLogPanelHasData,
  expectInstanceDownEmail,
  expectResolvedEmail,
  expectWebappTargetsUp,
  PUSHED_SERVICE_RULES,
} from '../support/acceptance.ts';
import { expectEveryLinkLeadsToData, profileFunctions } from '../support/email-links.ts';
import { readYaml } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';
import { ensureDockerEngine } from './engine.ts';
import { ensureImages, imageSizeMb, type StandIn } from './images.ts';

const PROJECT = 'fos-compose-test';
const log = (line: string) => process.stdout.write(`compose-test: ${line}\n`);
const engine = await ensureDockerEngine(log);

let envFile = '';
// A Docker CLI configuration whose only content is the pinned Compose plugin, so that `docker compose`
// is the version docker-compose.yml pins whatever else the machine has.
let dockerConfig = '';
let standIns: StandIn[] = [];
const ports = {
  prometheus: 0,
  alertmanager: 0,
  alertmanager2: 0,
  maildev: 0,
  telexIntegration: 0,
  profileCollector: 0,
  jaeger: 0,
  victorialogs: 0,
};
/**
 * Published beyond 127.0.0.1, as a user publishes on a LAN address: on another address of the loopback
 * network, so nothing listens beyond this machine, and Prometheus and the Alertmanagers ask for the
 * stack login. Every check below goes through it; maildev, the webapp and Telex stay on 127.0.0.1.
 */
const PUBLISHED = '127.0.0.2';
const login: Login = { username: 'stack', password: randomBytes(18).toString('base64url') };
let passwordFile = '';
/** Free ports in a row: the first is WEBAPP_PORTS, as .env.example gives one; all of them for --scale. */
let webappRange = '';

/** `docker compose` on the real file for a project and env file (the test's: COMPOSE_PROFILES empty, no Grafana). */
function composeArgs(project = PROJECT, file = envFile): string[] {
  return ['compose', '-p', project, '--env-file', file, '-f', 'docker-compose.yml'];
}

/** Runs `docker compose ARGS` with the pinned plugin; the exit code is the caller's to judge. */
function composeResult(args: string[], timeoutMs = 900_000, env: Record<string, string> = {}) {
  return run('docker', [...composeArgs(), ...args], {
    cwd: REPO,
    timeoutMs,
    env: { ...process.env, ...env, DOCKER_CONFIG: dockerConfig },
  });
}

/** `docker compose ARGS`, throwing with its stderr when it fails. */
async function compose(args: string[], timeoutMs = 900_000, env: Record<string, string> = {}) {
  const result = await composeResult(args, timeoutMs, env);
  if (result.code !== 0)
    throw new Error(`docker compose ${args.join(' ')} failed:\n${result.stderr.slice(-6000)}`);
  return result.stdout;
}

function portIsFree(port: number): Promise<boolean> {
  // Not events.once(server, 'listening'): it rejects on 'error', so a port in use threw instead of
  // answering false.
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Ten free ports in a row, so --scale webapp=3 can publish every replica: below
 * Linux's ephemeral range (32768-60999), where the outgoing connections of the suites running
 * alongside could take one between this check and Docker's bind.
 */
async function freePortRange(size: number): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - size));
    const ports = Array.from({ length: size }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return `${base}-${base + size - 1}`;
  }
  throw new Error('no free port range');
}

async function containerHealth(): Promise<Record<string, string>> {
  const ids = (await compose(['ps', '-q'])).split('\n').filter(Boolean);
  const health: Record<string, string> = {};
  for (const id of ids) {
    const out = await run('docker', [
      'inspect',
      '--format',
      '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
      id,
    ]);
    const [name, status] = out.stdout.trim().split(' ');
    health[(name ?? id).replace(/^\//, '')] = status ?? 'unknown';
  }
  return health;
}

/** VictoriaLogs' image is distroless: nothing in it can run a healthcheck (Prometheus watches it). */
const WITHOUT_HEALTHCHECK = /victorialogs/;

async function waitHealthy(count: number, timeoutMs: number): Promise<Record<string, string>> {
  return waitFor(
    `${count} healthy containers`,
    async () => {
      const health = await containerHealth();
      const entries = Object.entries(health);
      const ok = ([name, status]: [string, string]) =>
        status === 'healthy' || (status === 'none' && WITHOUT_HEALTHCHECK.test(name));
      return entries.length === count && entries.every(ok) ? health : undefined;
    },
    { timeoutMs, intervalMs: 2000 },
  );
}

/** Where the first webapp replica is published now (127.0.0.1:PORT), as `docker compose port` says. */
async function webappUrl(): Promise<string> {
  return `http://${(await compose(['port', 'webapp', '3000'])).trim()}`;
}

/** The first webapp replica's URL once it answers /ready (after a start, a restart or an up). */
function readyWebappUrl(): Promise<string> {
  return waitFor(
    'the webapp ready',
    async () => {
      const url = await webappUrl();
      return (await fetch(`${url}/ready`)).ok ? url : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

async function post(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface BuiltService {
  environment?: Record<string, string>;
  tmpfs?: string[];
  volumes?: string[];
  build?: unknown;
}

/**
 * The directories a service of ours writes: those of the absolute paths its environment names (the
 * checkpoint, the heartbeat), its tmpfs mounts and its volumes' mount points.
 */
function writtenDirectories(service: BuiltService): string[] {
  const dirs = new Set<string>();
  for (const value of Object.values(service.environment ?? {}))
    if (/^\/[\w./-]+\.\w+$/.test(String(value))) dirs.add(String(value).replace(/\/[^/]+$/, '') || '/');
  for (const mount of service.tmpfs ?? []) dirs.add(mount.split(':')[0] as string);
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (target && !volume.endsWith(':ro') && !source?.startsWith('.')) dirs.add(target);
  }
  return [...dirs];
}

describe.skipIf(!engine)('docker compose up on a real Docker engine', () => {
  const prometheus = () => new PrometheusClient(`http://${PUBLISHED}:${ports.prometheus}`, login);
  const mail = () => new MaildevApi(`http://127.0.0.1:${ports.maildev}`);
  /** What following an email's links needs: the published ports and the stack's login. */
  const linkContext = (alertname: string) => ({
    alertname,
    job: 'webapp',
    prometheus: prometheus(),
    backends: {
      jaegerUrl: `http://127.0.0.1:${ports.jaeger}`,
      victoriaLogsUrl: `http://127.0.0.1:${ports.victorialogs}`,
    },
    authorization: authorization(login).authorization,
  });

  beforeAll(async () => {
    const plugin = pinnedTool('docker-compose');
    if (!plugin)
      throw new Error('no Compose CLI plugin at the pinned version (scripts/ensure-tool.sh docker-compose)');
    dockerConfig = await mkdtemp(join(tmpdir(), 'compose-test-docker-'));
    await mkdir(join(dockerConfig, 'cli-plugins'));
    await symlink(plugin, join(dockerConfig, 'cli-plugins', 'docker-compose'));
    const cliVersion = (
      await run('docker', ['compose', 'version'], { env: { ...process.env, DOCKER_CONFIG: dockerConfig } })
    ).stdout.trim();
    expect(cliVersion).toContain(`v${pinOf('docker-compose')}`);
    reportFigure(`compose: ${cliVersion}, as the docker CLI plugin (docker compose), engine ${engine}`);
    standIns = await ensureImages(log);
    ports.prometheus = await freePort();
    ports.alertmanager = await freePort();
    ports.alertmanager2 = await freePort();
    ports.maildev = await freePort();
    ports.telexIntegration = await freePort();
    ports.profileCollector = await freePort();
    ports.jaeger = await freePort();
    ports.victorialogs = await freePort();
    webappRange = await freePortRange(10);
    const example = await readFile(repoPath('.env.example'), 'utf8');
    const settings: Record<string, string> = {
      GRAFANA_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
      GRAFANA_PORT: String(await freePort()),
      PROMETHEUS_PORT: String(ports.prometheus),
      ALERTMANAGER_PORT: String(ports.alertmanager),
      ALERTMANAGER_2_PORT: String(ports.alertmanager2),
      MAILDEV_PORT: String(ports.maildev),
      TELEX_INTEGRATION_PORT: String(ports.telexIntegration),
      PROFILE_COLLECTOR_PORT: String(ports.profileCollector),
      JAEGER_PORT: String(ports.jaeger),
      OTLP_TRACES_PORT: String(await freePort()),
      VICTORIALOGS_PORT: String(ports.victorialogs),
      WEBAPP_PORTS: webappRange.split('-')[0] as string,
      // The documented way to run without Grafana, which has no stand-in image here.
      COMPOSE_PROFILES: '',
      PUBLISH_ADDRESS: PUBLISHED,
    };
    const dir = await mkdtemp(join(tmpdir(), 'compose-test-'));
    envFile = join(dir, '.env');
    // As make up writes it: one line, readable by the containers' users.
    passwordFile = join(dir, 'stack_password');
    await writeFile(passwordFile, `${login.password}\n`, { mode: 0o644 });
    settings.STACK_PASSWORD_FILE = passwordFile;
    // The user's .env.example with only ports, the passwords, the profiles and the address set: the defaults under test.
    await writeFile(
      envFile,
      example.replace(/^([A-Z0-9_]+)=.*$/gm, (line, name: string) =>
        name in settings ? `${name}=${settings[name]}` : line,
      ),
    );
    await compose(['down', '-v', '--remove-orphans']);
    const buildStarted = Date.now();
    await compose(['build']);
    reportFigure(`compose: images built in ${((Date.now() - buildStarted) / 1000).toFixed(0)} s`);
    const upStarted = Date.now();
    await compose(['up', '-d']);
    const health = await waitHealthy(10, 180_000);
    reportFigure(
      `compose: up to all healthy in ${((Date.now() - upStarted) / 1000).toFixed(1)} s (${Object.keys(health).join(', ')}; COMPOSE_PROFILES empty: no Grafana, which has no stand-in image)`,
    );
    for (const image of [
      'fastify-observability-stack/webapp:0.1.0',
      'fastify-observability-stack/request-generator:0.1.0',
      'fastify-observability-stack/telex-integration:0.1.0',
      'fastify-observability-stack/profile-collector:0.1.0',
      'fastify-observability-stack/web-auth:0.1.0',
    ]) {
      reportFigure(`compose: image ${image} ${(await imageSizeMb(image)).toFixed(0)} MB`);
    }
    reportFigure(`compose: images ${standIns.map((s) => `${s.image} (${s.source})`).join(', ')}`);
  }, 1_500_000);

  afterAll(async () => {
    if (!envFile) return;
    await compose(['down', '-v', '--remove-orphans']);
    const leftovers = await Promise.all(
      ['ps -aq', 'network ls -q', 'volume ls -q'].map(async (what) => {
        const result = await run('docker', [
          ...what.split(' '),
          '--filter',
          `label=com.docker.compose.project=${PROJECT}`,
        ]);
        return result.stdout.trim();
      }),
    );
    expect(leftovers, 'containers, networks and volumes left behind').toEqual(['', '', '']);
  }, 300_000);

  it('runs the pinned versions: the Prometheus, Alertmanager, Node, Jaeger and VictoriaLogs images report their tags', async () => {
    const reported = async (image: string, entrypoint: string, args: string[]) => {
      const result = await run('docker', ['run', '--rm', '--entrypoint', entrypoint, image, ...args]);
      return /\d+\.\d+\.\d+/.exec(result.stdout + result.stderr)?.[0];
    };
    const images = readYaml<{
      services: Record<string, { image?: string }>;
      'x-node-build-args': { NODE_IMAGE: string };
    }>('docker-compose.yml');
    const checks: [string, string, string[], string][] = [
      [
        images.services.prometheus?.image ?? '',
        '/bin/prometheus',
        ['--version'],
        pinnedVersion('prometheus'),
      ],
      [images.services.prometheus?.image ?? '', '/bin/promtool', ['--version'], pinnedVersion('prometheus')],
      [
        images.services.alertmanager?.image ?? '',
        '/bin/alertmanager',
        ['--version'],
        pinnedVersion('alertmanager'),
      ],
      [
        images.services.alertmanager?.image ?? '',
        '/bin/amtool',
        ['--version'],
        pinnedVersion('alertmanager'),
      ],
      [images['x-node-build-args'].NODE_IMAGE, 'node', ['--version'], pinnedVersion('node')],
      [images.services.jaeger?.image ?? '', '/cmd/jaeger/jaeger-linux', ['version'], pinnedVersion('jaeger')],
      [
        images.services.victorialogs?.image ?? '',
        '/victoria-logs-prod',
        ['-version'],
        pinnedVersion('victoria-logs'),
      ],
    ];
    for (const [image, entrypoint, args, pin] of checks) {
      expect(await reported(image, entrypoint, args), `${image} ${entrypoint}`).toBe(pin);
    }
    reportFigure(
      `compose: images report the pins: ${checks.map(([image, entrypoint, , pin]) => `${image} ${entrypoint} ${pin}`).join(', ')}`,
    );
  }, 120_000);

  it('scrapes the webapp, records every rule and fills every panel', async () => {
    await expectWebappTargetsUp(prometheus(), 1, 60_000);
    // Until every rate window holds data, not a fixed minute.
    await expectEveryRecordingRuleHasData(prometheus(), 150_000, PUSHED_SERVICE_RULES);
    const panels = await expectEveryPanelHasData(prometheus(), DEMO_STACK_DASHBOARDS, 60_000);
    const traceAndLogQueries = await expectEveryTraceAndLogPanelHasData(
      {
        jaegerUrl: `http://127.0.0.1:${ports.jaeger}`,
        victoriaLogsUrl: `http://127.0.0.1:${ports.victorialogs}`,
        prometheus: prometheus(),
      },
      DEMO_STACK_DASHBOARDS,
      90_000,
    );
    reportFigure(
      `compose: ${panels} panel queries returned data from Prometheus, ${traceAndLogQueries} from Jaeger and VictoriaLogs`,
    );
  }, 240_000);

  it('stays inside its memory limits under steady traffic, and says how much it takes', async () => {
    const ids = (await compose(['ps', '-q'])).split('\n').filter(Boolean);
    const stats = await run('docker', [
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}} {{.MemUsage}}',
      ...ids,
    ]);
    expect(stats.code, stats.stderr).toBe(0);
    const bytes = (text: string) => {
      const [, number, unit] = /^([\d.]+)([KMG]i?B|B)$/.exec(text) ?? [];
      const scale: Record<string, number> = {
        B: 1,
        KiB: 2 ** 10,
        MiB: 2 ** 20,
        GiB: 2 ** 30,
        kB: 1e3,
        MB: 1e6,
        GB: 1e9,
      };
      return Number(number) * (scale[unit ?? ''] ?? Number.NaN);
    };
    const rows = stats.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name, used, , limit] = line.split(' ');
        return { name: name ?? '', used: bytes(used ?? ''), limit: bytes(limit ?? '') };
      });
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) expect(row.used, row.name).toBeLessThan(row.limit * 0.8);
    const total = rows.reduce((sum, row) => sum + row.used, 0) / 2 ** 20;
    reportFigure(
      `compose: memory under steady traffic ${total.toFixed(0)} MiB in ${rows.length} containers (${rows
        .map((row) => `${row.name.replace(`${PROJECT}-`, '')} ${(row.used / 2 ** 20).toFixed(0)}`)
        .join(', ')} MiB)`,
    );
  }, 60_000);

  it('runs the Alertmanagers as one cluster of two, both receiving from Prometheus', async () => {
    for (const port of [ports.alertmanager, ports.alertmanager2]) {
      const status = await waitFor(
        `the Alertmanager on ${port} clustered with its peer`,
        async () => {
          const response = await fetch(`http://${PUBLISHED}:${port}/api/v2/status`, {
            headers: authorization(login),
          });
          const body = (await response.json()) as {
            cluster: { status: string; peers: unknown[] };
          };
          return body.cluster.peers.length === 2 ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      expect(status.cluster.status).toBe('ready');
    }
    const [discovered] = await prometheus().query('prometheus_notifications_alertmanagers_discovered');
    expect(discovered?.value[1]).toBe('2');
    reportFigure('compose: the two Alertmanagers form one cluster, and Prometheus sends to both');
  }, 120_000);

  it('asks for the stack login beyond 127.0.0.1: 401 without it, at the UIs, the APIs and both write receivers', async () => {
    const refused: string[] = [];
    const requests: [string, RequestInit][] = [
      [`http://${PUBLISHED}:${ports.prometheus}/-/ready`, {}],
      [`http://${PUBLISHED}:${ports.prometheus}/api/v1/query?query=up`, {}],
      [`http://${PUBLISHED}:${ports.prometheus}/api/v1/write`, { method: 'POST', body: 'x' }],
      [`http://${PUBLISHED}:${ports.prometheus}/api/v1/otlp/v1/metrics`, { method: 'POST', body: 'x' }],
      [`http://${PUBLISHED}:${ports.alertmanager}/api/v2/alerts`, { method: 'POST', body: '[]' }],
      [`http://${PUBLISHED}:${ports.alertmanager2}/api/v2/status`, {}],
    ];
    for (const [url, init] of requests) {
      const response = await fetch(url, init);
      expect(response.status, `${init.method ?? 'GET'} ${url}`).toBe(401);
      refused.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
      const wrong = await fetch(url, {
        ...init,
        headers: authorization({ ...login, password: 'wrong-password' }),
      });
      expect(wrong.status, `${url} with a wrong password`).toBe(401);
    }
    // Nothing on 127.0.0.1: the UIs are published on PUBLISH_ADDRESS alone.
    await expect(fetch(`http://127.0.0.1:${ports.prometheus}/-/ready`)).rejects.toThrow();
    const logs = await compose(['logs', '--no-log-prefix', 'web-auth']);
    expect(logs).toContain(
      `web-auth: published on ${PUBLISHED}: Prometheus and Alertmanager ask for user stack`,
    );
    reportFigure(
      `compose: published on ${PUBLISHED}, Prometheus and the Alertmanagers answer 401 without the login (and with a wrong one): ${refused.join(', ')}; every other check of this suite logs in`,
    );
  }, 60_000);

  it('sends make test-alert through the Alertmanager with the login, to the email', async () => {
    const sent = await run(
      process.execPath,
      [
        repoPath('packages/stack/src/test-alert.ts'),
        `http://${PUBLISHED}:${ports.alertmanager}`,
        passwordFile,
      ],
      { cwd: REPO, timeoutMs: 30_000 },
    );
    expect(sent.code, sent.stderr).toBe(0);
    const email = await mail().waitForEmail(
      'the TestAlert email',
      (e) => e.subject.includes('TestAlert'),
      60_000,
    );
    expect(email.subject).toContain('FIRING');
    const refused = await run(
      process.execPath,
      [repoPath('packages/stack/src/test-alert.ts'), `http://${PUBLISHED}:${ports.alertmanager}`],
      { cwd: REPO, timeoutMs: 30_000 },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/asks for the stack login; give the file of the stack password.*: 401/);
    reportFigure(
      `compose: make test-alert with the login: "${email.subject}"; without it: ${refused.stderr.trim()}`,
    );
  }, 120_000);

  it('keeps the traces of the generator and the webapp in Jaeger and their logs in VictoriaLogs, both scraped by Prometheus', async () => {
    const jaeger = `http://127.0.0.1:${ports.jaeger}`;
    const services = await waitFor(
      'the generator and the webapp in Jaeger',
      async () => {
        const found =
          ((await (await fetch(`${jaeger}/api/services`)).json()) as { data: string[] | null }).data ?? [];
        return found.includes('webapp') && found.includes('request-generator') ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const logs = await waitFor(
      "the webapp's log lines in VictoriaLogs",
      async () => {
        const response = await fetch(`http://127.0.0.1:${ports.victorialogs}/select/logsql/query`, {
          method: 'POST',
          body: new URLSearchParams({ query: '"service.name":webapp | limit 5' }),
        });
        const lines = (await response.text()).split('\n').filter(Boolean);
        return lines.length > 0 ? lines : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    for (const job of ['jaeger', 'victorialogs']) {
      await waitFor(
        `the ${job} target up`,
        async () => ((await prometheus().query(`up{job="${job}"}`))[0]?.value[1] === '1' ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 2000 },
      );
    }
    reportFigure(
      `compose: Jaeger holds traces of ${services.join(', ')}; VictoriaLogs answers with the webapp's lines (${logs.length} asked for); both targets up`,
    );
  }, 180_000);

  it('names checksum in the EventLoopBlocked email of the cpu scenario, with the profile the collector took from the container', async () => {
    // make scenario SCENARIO=cpu, as a user sends it: the generator from the host to the published
    // webapp, at 3 a second (60% of its thread) so that its scrapes keep getting through.
    const generator = new ManagedProcess(
      'generator',
      process.execPath,
      [
        repoPath('services/request-generator/src/cli.ts'),
        '--target',
        await webappUrl(),
        '--scenario',
        'cpu',
        '--rate',
        '3',
      ],
      { PATH: process.env.PATH },
    );
    const startedAt = Date.now();
    try {
      const email = await mail().waitForEmail(
        'the EventLoopBlocked email',
        (m) => m.subject.startsWith('[FIRING') && m.subject.includes('EventLoopBlocked'),
        240_000,
      );
      expect(profileFunctions(email).slice(0, 3), email.text).toContain('checksum');
      const said = await expectEveryLinkLeadsToData(email, linkContext('EventLoopBlocked'));
      reportFigure(
        `compose: cpu scenario start to EventLoopBlocked email ${((Date.parse(email.time) - startedAt) / 1000).toFixed(1)} s; its profile and links, as received and followed:\n${/^ {2}profile: {7}[^\n]*(?:\n {17}.*)*/m.exec(email.text)?.[0]}\n  ${said.join('\n  ')}`,
      );
    } finally {
      await generator.stop();
    }
  }, 300_000);

  it('serves the Telex integration spec at the published port, and Prometheus scrapes the service', async () => {
    const base = `http://127.0.0.1:${ports.telexIntegration}`;
    const spec = (await (await fetch(`${base}/integration.json`)).json()) as { data: { tick_url: string } };
    expect(spec.data.tick_url).toBe(`${base}/tick`);
    const target = await waitFor(
      'the telex-integration target up',
      async () => {
        const [sample] = await prometheus().query('up{job="telex-integration"}');
        return sample?.value[1] === '1' ? sample : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2000 },
    );
    expect(target.metric.instance).toBe('telex-integration:3100');
    reportFigure('compose: telex-integration serves integration.json on 127.0.0.1 and its target is up');
  }, 120_000);

  it('makes a silence asked in a Telex channel, and both Alertmanagers of the pair hold it', async () => {
    const agent = `http://127.0.0.1:${ports.telexIntegration}`;
    const asked = await a2aCall(
      agent,
      telexMessageSend(
        'compose-silence',
        'silence ComposeTestNothing for 10m because the compose test checks silences',
      ),
    );
    const id = /unsilence ([0-9a-f-]{36})/.exec(answerText(asked))?.[1];
    expect(id, answerText(asked)).toBeDefined();
    for (const port of [ports.alertmanager, ports.alertmanager2]) {
      const silence = await waitFor(
        `the silence in the Alertmanager on port ${port}`,
        async () => {
          const response = await fetch(`http://${PUBLISHED}:${port}/api/v2/silence/${id}`, {
            headers: authorization(login),
          });
          return response.ok
            ? ((await response.json()) as { status: { state: string }; createdBy: string })
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(silence).toMatchObject({ status: { state: 'active' }, createdBy: 'telex user user-7' });
    }
    const ended = await a2aCall(agent, telexMessageSend('compose-unsilence', `unsilence ${id}`));
    expect(answerText(ended)).toMatch(/^\*\*Silence ended\*\*/);
    reportFigure(
      `compose: a silence asked of the Telex agent is active in both Alertmanagers; unsilence ended it`,
    );
  }, 120_000);

  it('stops make up at a bad .env value with one line naming it, before anything starts (scripts/check-env.sh)', async () => {
    const example = await readFile(envFile, 'utf8');
    let n = 0;
    const checkEnv = async (settings: Record<string, string>, project = PROJECT) => {
      const file = join(tmpdir(), `check-env-${process.pid}-${n++}.env`);
      await writeFile(
        file,
        Object.entries(settings).reduce(
          (text, [name, value]) => text.replace(new RegExp(`^${name}=.*$`, 'm'), `${name}=${value}`),
          example,
        ),
      );
      return run(repoPath('scripts/check-env.sh'), [file, 'docker', ...composeArgs(project, file)], {
        cwd: REPO,
        timeoutMs: 180_000,
        env: { ...process.env, DOCKER_CONFIG: dockerConfig },
      });
    };
    const said: string[] = [];
    const good = await checkEnv({});
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('is good');
    for (const [settings, message] of [
      [{ RATE: 'lots' }, /^make up: \S+: request-generator: RATE \(environment\).*"lots"$/],
      [
        { SMTP_SMARTHOST: 'maildev' },
        /^make up: \S+: render-config: SMTP_SMARTHOST must be host:port, got 'maildev'$/,
      ],
      [
        { EP_TWO_LATENCY: 'slow' },
        /^make up: \S+: webapp: invalid configuration: EP_TWO_LATENCY must be .*"slow"$/,
      ],
      [
        { TELEX_RETURN_URL_HOSTS: 'https://x' },
        /^make up: \S+: telex-integration: invalid configuration: TELEX_RETURN_URL_HOSTS must be/,
      ],
      [{ WEBAPP_PORTS: 'abc' }, /^make up: WEBAPP_PORTS=abc in \S+: expected a port number/],
      [
        { PUBLISH_ADDRESS: '0.0.0.0' },
        /^make up: \S+: web-auth: invalid configuration: PUBLISH_ADDRESS must be .*not 0\.0\.0\.0, got '0\.0\.0\.0'$/,
      ],
      [
        { STACK_PASSWORD_FILE: '/nonexistent/stack_password' },
        /^make up: STACK_PASSWORD_FILE=\/nonexistent\/stack_password in \S+: no such file, or it is empty: make up creates one/,
      ],
      [
        { TELEX_AGENT_API_KEY_FILE: '/nonexistent/agent_key' },
        /^make up: TELEX_AGENT_API_KEY_FILE=\/nonexistent\/agent_key in \S+: no such file, or it is empty/,
      ],
    ] as const) {
      const bad = await checkEnv(settings);
      said.push(bad.stderr.trim());
      expect(bad.code, JSON.stringify(settings)).toBe(2);
      expect(bad.stderr.trim().split('\n'), JSON.stringify(settings)).toHaveLength(1);
      expect(bad.stderr.trim()).toMatch(message);
    }
    // Another project on the same ports: this stack holds them.
    const other = 'fos-compose-test-other';
    try {
      const taken = await checkEnv({}, other);
      expect(taken.code).toBe(2);
      said.push(taken.stderr.trim());
      expect(taken.stderr.trim()).toMatch(
        /^make up: 127\.0\.0\.[12]:\d+ is in use \([A-Z0-9_]+(?: and [A-Z0-9_]+)*, set in \S+\): stop what listens there/,
      );
    } finally {
      await run('docker', ['compose', '-p', other, '-f', 'docker-compose.yml', 'down', '-v'], {
        cwd: REPO,
        env: { ...process.env, DOCKER_CONFIG: dockerConfig, GRAFANA_ADMIN_PASSWORD: 'unused' },
      });
    }
    reportFigure(`compose: scripts/check-env.sh stops make up, one line each:\n${said.join('\n')}`);
  }, 300_000);

  it('mails InstanceDown when the webapp container stops, and the resolution when it starts', async () => {
    const [id] = (await compose(['ps', '-q', 'webapp'])).split('\n');
    const address = (
      await run('docker', [
        'inspect',
        '--format',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
        id ?? '',
      ])
    ).stdout.trim();
    const publishedBefore = await webappUrl();
    const stoppedAt = Date.now();
    await compose(['stop', 'webapp']);
    // Either its failed scrapes fire the alert (naming it) or its target leaves DNS first (naming none).
    // No Grafana runs here (COMPOSE_PROFILES empty): the email names the runbook's section instead.
    const down = await expectInstanceDownEmail(mail(), [`${address}:3000`, undefined], 120_000, false);
    reportFigure(
      `compose: InstanceDown email ${((Date.parse(down.time) - stoppedAt) / 1000).toFixed(1)} s after docker compose stop`,
    );
    const said = await expectEveryLinkLeadsToData(down, linkContext('InstanceDown'));
    reportFigure(
      `compose: InstanceDown email's links, no Grafana, as received and followed:\n  ${said.join('\n  ')}`,
    );
    // The Telex agent, asked in a channel meanwhile, names it: Prometheus, both Alertmanagers and the
    // login as the stack runs them.
    const agent = `http://127.0.0.1:${ports.telexIntegration}`;
    // Each Alertmanager holds what Prometheus last sent it: asked until the answer has it.
    const firing = await waitFor(
      "InstanceDown in the agent's answer",
      async () => {
        const answer = await a2aCall(
          agent,
          telexMessageSend('compose-firing', '<p>what is <b>firing</b>?</p>'),
        );
        return /^- \*\*InstanceDown\*\* \(critical\) on webapp/m.test(answerText(answer))
          ? answer
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(firing.body.result?.status?.state, answerText(firing)).toBe('completed');
    expect(answerText(firing)).toContain(
      `[Alertmanager](http://${PUBLISHED}:${ports.alertmanager}/#/alerts)`,
    );
    // Watchdog arrives, so the agent does not warn of a broken pipeline.
    expect(answerText(firing)).not.toContain('No Watchdog heartbeat');
    reportFigure(
      `compose: the Telex agent, asked "what is firing?" while InstanceDown fires:\n${answerText(firing)}`,
    );
    await compose(['start', 'webapp']);
    // The one port of WEBAPP_PORTS again: with a range Docker handed out the next port at each start.
    expect(await readyWebappUrl()).toBe(publishedBefore);
    expect(publishedBefore).toBe(`http://127.0.0.1:${webappRange.split('-')[0]}`);
    await expectResolvedEmail(mail(), 120_000);
  }, 300_000);

  it('lets every service write each directory it writes, as the user it runs as', async () => {
    const services = readYaml<{ services: Record<string, BuiltService> }>('docker-compose.yml').services;
    const checked: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      // web-auth has exited: what it writes is the web configuration Prometheus started with.
      if (!service.build || name === 'maildev' || name === 'web-auth') continue;
      const dirs = writtenDirectories(service);
      expect(dirs.length, name).toBeGreaterThan(0);
      for (const dir of dirs) {
        const probe = `${dir}/.write-probe-${process.pid}`;
        const result = await composeResult([
          'exec',
          '-T',
          name,
          'node',
          '-e',
          `const fs=require('fs');fs.writeFileSync(${JSON.stringify(probe)},'x');fs.rmSync(${JSON.stringify(probe)});console.log(process.getuid())`,
        ]);
        expect(result.code, `${name} writing ${dir}: ${result.stderr}`).toBe(0);
        expect(result.stdout.trim(), `${name} runs as a user, not root`).not.toBe('0');
        checked.push(`${name} ${dir}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining(['webapp /app/data', 'webapp /tmp', 'request-generator /tmp']),
    );
    reportFigure(`compose: each service writes its directories as its own user: ${checked.join(', ')}`);
  }, 120_000);

  it('discovers three webapp targets after --scale webapp=3', async () => {
    // A range for the run, as docs/configuration.md says: one port cannot publish three replicas.
    await compose(['up', '-d', '--scale', 'webapp=3', 'webapp'], 300_000, { WEBAPP_PORTS: webappRange });
    const targets = await expectWebappTargetsUp(prometheus(), 3, 90_000);
    expect(new Set(targets.map((t) => t.labels.instance)).size).toBe(3);
    reportFigure('compose: --scale webapp=3 gives 3 Prometheus targets, all up');
  }, 180_000);

  // Last: it restarts the webapp and takes the whole stack down and up again.
  it('keeps the counter checkpoint across a restart of the webapp and a down and up without -v', async () => {
    await compose(['up', '-d', '--scale', 'webapp=1', 'webapp']);
    // The generator's traffic increments the counter too: stopped, the values below are ours alone.
    await compose(['stop', 'request-generator']);
    let base = await readyWebappUrl();
    const incremented = await post(`${base}/counter/increment?by=41`);
    expect(incremented).toEqual({ status: 200, body: { value: expect.any(Number) } });
    const value = incremented.body.value as number;
    const saved = await post(`${base}/counter/checkpoint`);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ value, path: './data/counter-checkpoint.json' });

    await compose(['restart', 'webapp']);
    expect(await readyWebappUrl(), 'the port after docker compose restart').toBe(base);
    expect(((await (await fetch(`${base}/counter`)).json()) as { value: number }).value).toBe(0);
    const restored = await post(`${base}/counter/restore`);
    expect(restored).toMatchObject({ status: 200, body: { value, at: saved.body.at } });

    await compose(['down']);
    await compose(['up', '-d']);
    await waitHealthy(10, 180_000);
    base = await readyWebappUrl();
    const afterDownUp = await post(`${base}/counter/restore`);
    expect(afterDownUp).toMatchObject({ status: 200, body: { value, at: saved.body.at } });
    reportFigure(
      `compose: counter ${value} checkpointed, restored after docker compose restart webapp and after down and up: ${JSON.stringify(afterDownUp.body)}`,
    );
  }, 400_000);
});
