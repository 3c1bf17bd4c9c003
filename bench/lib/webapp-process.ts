import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/process.ts';
import { Webapp } from '../../harness/stack.ts';

/** BENCH_SERVER_CPU pins the server to a core (make bench puts the load generator on another). */
function launcher(): string[] {
  const cpu = process.env.BENCH_SERVER_CPU;
  return cpu ? ['taskset', '-c', cpu] : [];
}

/** The real webapp in its own process, quiet (warn-level logs) so the bench measures the metrics. */
export async function startBenchWebapp(env: Record<string, string>): Promise<Webapp> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-webapp-'));
  const webapp = new Webapp(
    'webapp',
    await freePort(),
    { LOG_LEVEL: 'warn', COUNTER_CHECKPOINT_PATH: join(dir, 'counter.json'), ...env },
    launcher(),
  );
  await webapp.start();
  return webapp;
}
