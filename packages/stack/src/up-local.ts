// `make up-local`: the stack without Docker, on 127.0.0.1 at the Compose ports, until Ctrl-C or
// `quit`. Commands on stdin stop and start the webapp; the generator's progress lines show here.
import { createInterface } from 'node:readline';
import type { VectorSample } from './prometheus.ts';
import { Stack, type Webapp } from './stack.ts';
import {
  COMMANDS_HELP,
  type Command,
  type PartStatus,
  parseCommand,
  portsInUse,
  startedMessage,
  statusLines,
  type UpLocalSettings,
  upLocalSettings,
} from './up-local-settings.ts';
import { pinnedVersion } from './versions.ts';
import { alertmanagerHasWebUi, prometheusHasWebUi } from './web-ui.ts';

const say = (text: string): void => {
  process.stdout.write(text);
};
const fail = (message: string): never => {
  process.stderr.write(`up-local: ${message}\n`);
  process.exit(2);
};

function readSettings(): UpLocalSettings {
  try {
    return upLocalSettings(process.env);
  } catch (error) {
    return fail((error as Error).message);
  }
}
const settings = readSettings();
const busy = await portsInUse(settings);
if (busy.length > 0) fail(busy.join('\nup-local: '));

const { ports } = settings;
const stack = await Stack.start({
  webapps: 1,
  generator: false,
  grafanaUrl: settings.grafanaUrl,
  keepData: settings.keepData,
  chatEnv: settings.chatEnv,
  telexReturnUrlHosts: settings.telexReturnUrlHosts,
  ports: {
    prometheus: ports.prometheus,
    alertmanager: ports.alertmanager,
    alertmanager2: ports.alertmanager2,
    maildev: ports.maildev,
    webapps: [ports.webapp],
    telexIntegration: ports.telexIntegration,
    profileCollector: ports.profileCollector,
  },
}).catch((error: unknown) => fail((error as Error).message));
const webapp = stack.webapps[0] as Webapp;

const generator = stack.startGenerator([], { json: false });
generator.process.onLine((line) => say(`generator | ${line}\n`));

const prometheusUi = await prometheusHasWebUi(stack.prometheus.url);
const alertmanagerUi = await alertmanagerHasWebUi(stack.alertmanager.url);
const apiOnly = (hasUi: boolean) => (hasUi ? '' : '  (API only: built from its Go module, no web UI)');
say(`
  The stack runs on 127.0.0.1 (Ctrl-C or quit stops everything):
    Prometheus    ${stack.prometheus.url}${apiOnly(prometheusUi)}
    Alertmanager  ${stack.alertmanager.url}${apiOnly(alertmanagerUi)}
                  ${stack.alertmanagers[1]?.url}  (the second of the pair, clustered by gossip)
    Alert emails  ${stack.maildev.url}  (maildev)
    webapp        ${webapp.url}  (docs at /docs, metrics at /metrics)
    Telex         ${stack.telexIntegrationUrl}/integration.json  (the integration spec; ticks to /tick)
    A2A agent     ${stack.telexIntegrationUrl}/.well-known/agent.json  (its card; JSON-RPC at /a2a)
    Profiles      ${stack.profileCollectorUrl}/profiles  (taken when a CPU or heap alert is pending; make scenario SCENARIO=cpu)
    chat          ${Object.keys(settings.chatEnv).length ? Object.keys(settings.chatEnv).join(', ') : 'no chat receiver: set SLACK_WEBHOOK_URL_FILE, TELEX_WEBHOOK_URL, ... (docs/chat-and-telex.md)'}
    data          ${stack.dataDir}  (${settings.keepData ? 'kept on stop: KEEP_DATA=1' : 'removed on stop; KEEP_DATA=1 keeps it'})
`);
if (!prometheusUi || !alertmanagerUi) {
  say(`  The web UIs need the official release binaries (Prometheus ${pinnedVersion('prometheus')}, Alertmanager ${pinnedVersion('alertmanager')}):
    PROMETHEUS=/path/to/prometheus ALERTMANAGER=/path/to/alertmanager make up-local
  or the images, with make up.
`);
}
say(`  Grafana is not started here (make up runs it). ${
  settings.grafanaUrl
    ? `Alert emails link Grafana at ${settings.grafanaUrl}.`
    : 'Alert emails carry the runbook steps and leave out Grafana links; GRAFANA_URL=<url> adds them.'
}
  The generator sends the steady scenario (5 req/s); its progress lines follow.
${COMMANDS_HELP}
`);

/** The ALERTS series `expr` selects now; undefined when Prometheus does not answer. */
async function alertStates(expr: string): Promise<VectorSample[] | undefined> {
  return stack.prometheus.client.query(expr).catch(() => undefined);
}

async function run(command: Command, stack: Stack): Promise<void> {
  switch (command) {
    case 'kill':
      if (!webapp.process?.running) return say('webapp is not running; start starts it\n');
      webapp.process.signal('SIGKILL');
      return say(`webapp killed (SIGKILL): InstanceDown should reach ${stack.maildev.url} within ~25 s\n`);
    case 'stop':
      if (!webapp.process?.running) return say('webapp is not running; start starts it\n');
      await webapp.process.stop();
      return say('webapp stopped (SIGTERM)\n');
    case 'start': {
      if (webapp.process?.running) return say(`webapp already runs at ${webapp.url}\n`);
      await webapp.start();
      const states = await alertStates('ALERTS{alertname="InstanceDown"}');
      return say(
        startedMessage(
          webapp.url,
          states?.map((sample) => sample.metric.alertstate ?? ''),
        ),
      );
    }
    case 'status': {
      const firing = await alertStates('ALERTS{alertstate="firing", alertname!="Watchdog"}');
      const parts: PartStatus[] = [
        { name: 'webapp', running: webapp.process?.running ?? false, url: webapp.url },
        { name: 'generator', running: generator.process.running },
        {
          name: 'prometheus',
          running: stack.prometheus.process?.running ?? false,
          url: stack.prometheus.url,
        },
        ...stack.alertmanagers.map((a) => ({
          name: a.name,
          running: a.process?.running ?? false,
          url: a.url,
        })),
        {
          name: 'telex-integration',
          running: stack.telexIntegration.running,
          url: stack.telexIntegrationUrl,
        },
        {
          name: 'profile-collector',
          running: stack.profileCollector.running,
          url: stack.profileCollectorUrl,
        },
        { name: 'maildev', running: stack.maildev.process?.running ?? false, url: stack.maildev.url },
      ];
      return say(
        statusLines(
          parts,
          firing?.map((sample) => `${sample.metric.alertname} (${sample.metric.severity ?? 'no severity'})`),
          stack.dataDir,
        ),
      );
    }
    case 'help':
      return say(COMMANDS_HELP);
    case 'quit':
      return shutdown();
  }
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('\nstopping...\n');
  await stack.stop();
  say(settings.keepData ? `data kept in ${stack.dataDir}\n` : 'stopped; data removed\n');
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown());

// One command at a time: a restart finishes before the next line is read.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    try {
      const command = parseCommand(line);
      if (command) await run(command, stack);
    } catch (error) {
      say(`${(error as Error).message}\n`);
    }
  });
});
