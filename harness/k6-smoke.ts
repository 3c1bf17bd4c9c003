// `make k6-smoke`: the smoke script against a webapp started here on 127.0.0.1.

import { runK6 } from './k6.ts';
import { Webapp } from './stack.ts';
import { pinnedTool } from './tools.ts';

const k6 = pinnedTool('k6');
if (!k6) {
  process.stderr.write(
    'k6-smoke: no k6 at the pinned version, and no Go to build it (scripts/ensure-tool.sh k6)\n',
  );
  process.exit(1);
}
const webapp = await Webapp.launch();
try {
  process.stdout.write(`k6 smoke against ${webapp.url}\n`);
  const result = await runK6(k6, 'smoke.ts', { baseUrl: webapp.url });
  process.stdout.write(result.output);
  process.exitCode = result.exitCode;
} finally {
  await webapp.stop();
}
