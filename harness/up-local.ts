// `make up-local`: the stack without Docker, on 127.0.0.1, until Ctrl-C.
import { Stack } from './stack.ts';

const stack = await Stack.start({ webapps: 1 }).catch((error: unknown) => {
  process.stderr.write(`up-local: ${(error as Error).message}\n`);
  process.exit(1);
});
const [webapp] = stack.webapps;
process.stdout.write(`
  The stack runs on 127.0.0.1 (Ctrl-C stops everything):
    Prometheus    ${stack.prometheus.url}
    Alertmanager  ${stack.alertmanager.url}
    Alert emails  ${stack.maildev.url}  (maildev)
    webapp        ${webapp?.url}  (docs at /docs, metrics at /metrics)
  Grafana is not started here: run it with Docker (make up), or point a local Grafana at Prometheus.
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
