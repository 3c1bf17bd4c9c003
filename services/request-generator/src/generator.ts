import { createHttpSender } from './http.ts';
import type { GeneratorOptions } from './options.ts';
import { type RandomSource, seededRandom } from './random.ts';
import { formatProgress, type Summary, summarise } from './report.ts';
import { type Clock, realClock, runTraffic, type Send } from './runner.ts';
import { scenarioPhases } from './scenarios.ts';
import { startTracing } from './tracing.ts';

export interface GenerateDeps {
  clock?: Clock;
  random?: RandomSource;
  /** Defaults to real HTTP against options.target. */
  send?: Send;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** This process's CPU time so far in microseconds (user + system); injected so tests can fix it. */
  cpuMicros?: () => number;
}

const processCpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Runs the generator as configured and returns its summary; the CLI and the tests share this. */
export async function generate(options: GeneratorOptions, deps: GenerateDeps = {}): Promise<Summary> {
  const http = deps.send ? undefined : createHttpSender(options.target, options);
  const tracing =
    http && options.tracesEndpoint
      ? startTracing(
          options.tracesEndpoint,
          options.traceSampleRatio,
          options.tracesMaxPerSecond,
          options.target,
        )
      : undefined;
  const send: Send =
    deps.send ??
    (tracing && http
      ? tracing.wrap(http.send)
      : (request) => (http as NonNullable<typeof http>).send(request));
  const random = deps.random ?? (options.seed !== undefined ? seededRandom(options.seed) : Math.random);
  const cpuMicros = deps.cpuMicros ?? processCpuMicros;
  const cpuAtStart = cpuMicros();
  try {
    const result = await runTraffic(
      {
        phases: scenarioPhases(options.scenario, options),
        durationSeconds: options.durationSeconds,
        maxInFlight: options.maxInFlight,
        reportEverySeconds: options.reportEverySeconds,
        drainMs: options.timeoutMs + 1000,
      },
      {
        clock: deps.clock ?? realClock,
        random,
        send,
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(deps.log ? { onProgress: (progress) => deps.log?.(formatProgress(progress)) } : {}),
      },
    );
    return summarise(options, result, cpuMicros() - cpuAtStart);
  } finally {
    await http?.close();
    // The last spans go out (bounded by the export timeout) before the summary is printed.
    await tracing?.shutdown();
  }
}
