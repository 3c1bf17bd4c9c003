import { Webapp } from '@fos/stack/stack';

/** BENCH_SERVER_CPU pins the server to a core (make bench puts the load generator on another). */
export function serverLauncher(): string[] {
  const cpu = process.env.BENCH_SERVER_CPU;
  return cpu ? ['taskset', '-c', cpu] : [];
}

/** The real webapp in its own process, quiet (warn-level logs) so the bench measures the metrics. */
export function startBenchWebapp(env: Record<string, string>): Promise<Webapp> {
  return Webapp.launch({ LOG_LEVEL: 'warn', ...env }, serverLauncher());
}
