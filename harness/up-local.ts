// `make up-local`: the stack without Docker, on 127.0.0.1, until Ctrl-C.
import { Stack } from './stack.ts';
import { pinnedVersion } from './versions.ts';
import { alertmanagerHasWebUi, prometheusHasWebUi } from './web-ui.ts';

const stack = await Stack.start({ webapps: 1 }).catch((error: unknown) => {
  process.stderr.write(`up-local: ${(error as Error).message}\n`);
  process.exit(1);
});
const [webapp] = stack.webapps;
const prometheusUi = await prometheusHasWebUi(stack.prometheus.url);
const alertmanagerUi = await alertmanagerHasWebUi(stack.alertmanager.url);
const apiOnly = (hasUi: boolean) => (hasUi ? '' : '  (API only: built from its Go module, no web UI)');
process.stdout.write(`
  The stack runs on 127.0.0.1 (Ctrl-C stops everything):
    Prometheus    ${stack.prometheus.url}${apiOnly(prometheusUi)}
    Alertmanager  ${stack.alertmanager.url}${apiOnly(alertmanagerUi)}
    Alert emails  ${stack.maildev.url}  (maildev)
    webapp        ${webapp?.url}  (docs at /docs, metrics at /metrics)
`);
if (!prometheusUi || !alertmanagerUi) {
  process.stdout.write(`  The web UIs need the official release binaries (Prometheus ${pinnedVersion('prometheus')}, Alertmanager ${pinnedVersion('alertmanager')}):
    PROMETHEUS=/path/to/prometheus ALERTMANAGER=/path/to/alertmanager make up-local
  or the images, with make up.
`);
}
process.stdout.write(`  Grafana is not started here: run it with Docker (make up), or point a local Grafana at Prometheus.
  The generator sends the steady scenario; stop the webapp (kill ${webapp?.process?.child.pid}) to see InstanceDown arrive.
`);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping...\n');
    stack.stop().then(() => process.exit(0));
  });
}
