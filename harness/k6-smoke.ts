// `make k6-smoke`: the smoke script against a webapp started here on 127.0.0.1.

import { execFileSync } from 'node:child_process';
import { runK6 } from './k6.ts';
import { repoPath } from './paths.ts';
import { Webapp } from './stack.ts';

const k6 = execFileSync(repoPath('scripts/ensure-k6.sh'), {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const webapp = await Webapp.launch();
try {
  process.stdout.write(`k6 smoke against ${webapp.url}\n`);
  const result = await runK6(k6, 'smoke.ts', { baseUrl: webapp.url });
  process.stdout.write(result.output);
  process.exitCode = result.exitCode;
} finally {
  await webapp.process?.stop();
}
