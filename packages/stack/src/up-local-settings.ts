// What `make up-local` reads at start and what it takes on stdin: pure functions, tested on their own.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { repoPath } from '@fos/repo/paths';

export interface UpLocalSettings {
  ports: {
    prometheus: number;
    alertmanager: number;
    alertmanager2: number;
    maildev: number;
    webapp: number;
    telexIntegration: number;
    profileCollector: number;
  };
  /** Keep Prometheus' TSDB, the mails and the checkpoints when it stops (KEEP_DATA=1). */
  keepData: boolean;
  /** Where emails link Grafana; '' (the default) leaves the links out, as no Grafana runs here. */
  grafanaUrl: string;
  /** The chat receivers' settings given in the environment, passed to Alertmanager as Compose does. */
  chatEnv: Record<string, string>;
  /** Where the Telex integration may post reports: Telex's host unless set. */
  telexReturnUrlHosts: string;
}

/** The variables that turn chat receivers on (alertmanager/render-config.sh reads them). */
export const CHAT_VARIABLES = [
  'SLACK_WEBHOOK_URL_FILE',
  'DISCORD_WEBHOOK_URL_FILE',
  'TEAMS_WEBHOOK_URL_FILE',
  'TELEX_WEBHOOK_URL',
] as const;

/** The port variables, as in .env.example; the Compose defaults, so the README's URLs hold for both. */
export const PORT_VARIABLES = {
  prometheus: 'PROMETHEUS_PORT',
  alertmanager: 'ALERTMANAGER_PORT',
  alertmanager2: 'ALERTMANAGER_2_PORT',
  maildev: 'MAILDEV_PORT',
  webapp: 'WEBAPP_PORTS',
  telexIntegration: 'TELEX_INTEGRATION_PORT',
  profileCollector: 'PROFILE_COLLECTOR_PORT',
} as const;

/** `NAME=value` lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

/**
 * The settings from the environment over the defaults in .env.example. A bad value throws one
 * line naming the variable, the value and what it expected.
 */
export function upLocalSettings(
  env: NodeJS.ProcessEnv,
  defaults: Record<string, string> = parseEnvFile(readFileSync(repoPath('.env.example'), 'utf8')),
): UpLocalSettings {
  const port = (name: string): number => {
    const value = env[name] ?? defaults[name];
    // WEBAPP_PORTS may be a range (for `--scale webapp=N` in Compose); up-local runs one webapp, on its first port.
    const first = name === 'WEBAPP_PORTS' ? value?.split('-')[0] : value;
    const number = Number(first);
    if (!first || !Number.isInteger(number) || number < 1 || number > 65535) {
      throw new Error(
        `${name} must be a port number (1-65535)${name === 'WEBAPP_PORTS' ? ' or a range like 8080-8089' : ''}, got '${value ?? ''}'`,
      );
    }
    return number;
  };
  const keep = env.KEEP_DATA ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(keep)) {
    throw new Error(`KEEP_DATA must be 1 or 0, got '${keep}'`);
  }
  return {
    ports: {
      prometheus: port(PORT_VARIABLES.prometheus),
      alertmanager: port(PORT_VARIABLES.alertmanager),
      alertmanager2: port(PORT_VARIABLES.alertmanager2),
      maildev: port(PORT_VARIABLES.maildev),
      webapp: port(PORT_VARIABLES.webapp),
      telexIntegration: port(PORT_VARIABLES.telexIntegration),
      profileCollector: port(PORT_VARIABLES.profileCollector),
    },
    keepData: keep === '1' || keep === 'true',
    grafanaUrl: env.GRAFANA_URL ?? '',
    // URL files relative to where make runs, as in .env; Alertmanager would read them relative to its config.
    chatEnv: Object.fromEntries(
      CHAT_VARIABLES.filter((name) => env[name]).map((name) => {
        const value = env[name] as string;
        return [name, name.endsWith('_FILE') ? resolve(value) : value];
      }),
    ),
    telexReturnUrlHosts: env.TELEX_RETURN_URL_HOSTS || defaults.TELEX_RETURN_URL_HOSTS || 'ping.telex.im',
  };
}

/** The ports another process already listens on, with a message a user can act on; [] when all are free. */
export async function portsInUse(settings: UpLocalSettings): Promise<string[]> {
  const busy: string[] = [];
  for (const [part, port] of Object.entries(settings.ports)) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    const name = PORT_VARIABLES[part as keyof typeof PORT_VARIABLES];
    if (!free)
      busy.push(
        `127.0.0.1:${port} (${name}) is in use: stop what listens there (make down, if it is the Compose stack), or set ${name}`,
      );
  }
  return busy;
}

export type Command = 'kill' | 'stop' | 'start' | 'status' | 'help' | 'quit';

export const COMMANDS_HELP = `  Commands (type one and press Enter):
    kill     SIGKILL the webapp: InstanceDown fires in ~25 s and is emailed
    stop     stop the webapp gracefully (SIGTERM)
    start    start the webapp again: the resolved email follows
    status   every part, running or stopped, what fires, and the data directory
    quit     stop everything (as Ctrl-C does)
  Scenarios that fire the other alerts, from another terminal: make scenario SCENARIO=spike
`;

/** A line typed on stdin: a command, or undefined for a blank line; unknown words are an error. */
export function parseCommand(line: string): Command | undefined {
  const word = line.trim().toLowerCase();
  if (word === '') return undefined;
  const commands: Command[] = ['kill', 'stop', 'start', 'status', 'help', 'quit'];
  if ((commands as string[]).includes(word)) return word as Command;
  if (word === 'exit') return 'quit';
  throw new Error(`unknown command '${line.trim()}'; one of ${commands.join(', ')}`);
}

/** One part of the local stack, for `status`. */
export interface PartStatus {
  name: string;
  running: boolean;
  url?: string;
}

/**
 * What `status` prints: every part, running or stopped, and the alerts firing now (undefined when
 * Prometheus could not be asked).
 */
export function statusLines(
  parts: readonly PartStatus[],
  firing: string[] | undefined,
  dataDir: string,
): string {
  const width = Math.max(...parts.map((part) => part.name.length));
  const lines = parts.map(
    (part) =>
      `  ${part.name.padEnd(width)}  ${part.running ? 'running' : 'stopped'}${part.url ? `  ${part.url}` : ''}`,
  );
  const alerts =
    firing === undefined
      ? 'unknown (Prometheus does not answer)'
      : firing.length === 0
        ? 'none but the Watchdog'
        : firing.join(', ');
  return `${lines.join('\n')}\n  firing: ${alerts}\n  data in ${dataDir}\n`;
}

/**
 * What `start` says of the email to come, from InstanceDown's state when the webapp came back
 * (the ALERTS series' alertstate): only a firing alert was emailed, and only it sends a resolution.
 */
export function startedMessage(url: string, instanceDownStates: readonly string[] | undefined): string {
  const started = `webapp started again at ${url}`;
  if (instanceDownStates === undefined) return `${started} (Prometheus does not answer: no word on emails)\n`;
  if (instanceDownStates.includes('firing')) return `${started}: the resolved email follows within ~1 min\n`;
  if (instanceDownStates.includes('pending'))
    return `${started}: InstanceDown was pending, not firing: it ends without an email\n`;
  return `${started}: InstanceDown had not fired, so no email follows\n`;
}
