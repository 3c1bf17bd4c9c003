import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, monotonicMicros } from './lib/load.ts';
import { startBenchWebapp } from './lib/webapp-process.ts';

/** The parts of a V8 `.cpuprofile` (`node --cpu-prof`) that attribution needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  /** Samples in the window where the process was on the CPU (V8's "(idle)" left out). */
  busySamples: number;
  /** Busy samples with a matching frame anywhere on the stack: inclusive of what that code calls. */
  matchingSamples: number;
  share: number;
}

/**
 * The share of busy samples, taken between `fromMicros` and `toMicros`, whose stack holds a frame
 * `matches` picks. Within one process, so the machine's noise hits both counts alike.
 */
export function profileShare(
  profile: CpuProfile,
  matches: (url: string) => boolean,
  fromMicros = Number.NEGATIVE_INFINITY,
  toMicros = Number.POSITIVE_INFINITY,
): ProfileShare {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const inside = new Map<number, boolean>();
  const underMatch = (id: number): boolean => {
    let answer = inside.get(id);
    if (answer === undefined) {
      const parent = parents.get(id);
      answer = matches(nodes.get(id)?.callFrame.url ?? '') || (parent !== undefined && underMatch(parent));
      inside.set(id, answer);
    }
    return answer;
  };
  let time = profile.startTime;
  let busySamples = 0;
  let matchingSamples = 0;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i] ?? 0;
    if (time < fromMicros || time > toMicros) return;
    if (nodes.get(id)?.callFrame.functionName === '(idle)') return;
    busySamples++;
    if (underMatch(id)) matchingSamples++;
  });
  return { busySamples, matchingSamples, share: busySamples === 0 ? 0 : matchingSamples / busySamples };
}

/** The webapp's request-metrics code and the metrics libraries it calls. */
export const METRICS_CODE =
  /\/node_modules\/(@prometheus-io\/client|fastify-metrics)\/|\/src\/plugins\/metrics\.ts$|\/fastify-http-metrics\/(src|dist)\/[a-z-]+\.(ts|js)$/;

export interface MetricsCpuOptions {
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
  path: string;
}

export interface MetricsCpuResult extends ProfileShare {
  options: MetricsCpuOptions;
  requests: number;
}

/**
 * Where the instrumentation's cost goes, from inside: the instrumented webapp runs under
 * `--cpu-prof` (V8 samples every millisecond) while autocannon loads it, and the share of its busy CPU samples
 * spent in metrics code during the load (start-up and warm-up left out) is an estimate of the
 * throughput the metrics take, one that the VM's noise between processes does not blur.
 */
export async function measureMetricsCpuShare(options: MetricsCpuOptions): Promise<MetricsCpuResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cpu-prof-'));
  try {
    const webapp = await startBenchWebapp({
      METRICS_ENABLED: 'true',
      NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
    });
    let window: [number, number];
    let requests: number;
    try {
      const url = `${webapp.url}${options.path}`;
      if (options.warmupSeconds > 0) await load(url, options.warmupSeconds, options.connections);
      const from = monotonicMicros();
      requests = (await load(url, options.durationSeconds, options.connections)).requests.total;
      window = [from, monotonicMicros()];
    } finally {
      // A clean exit writes the profile.
      await webapp.stop(10_000);
    }
    const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the webapp wrote no CPU profile into ${dir}`);
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const share = profileShare(profile, (url) => METRICS_CODE.test(url), ...window);
    if (share.busySamples === 0) throw new Error('the CPU profile has no samples from the load window');
    return { options, requests, ...share };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatCpuShare(result: MetricsCpuResult): string {
  return [
    `Where the instrumented webapp's CPU goes (--cpu-prof, ${result.options.durationSeconds} s of load on GET ${result.options.path}, ${result.busySamples} busy samples):`,
    `metrics code share of CPU: ${(100 * result.share).toFixed(1)}% (estimated throughput ratio ${(1 - result.share).toFixed(2)})`,
  ].join('\n');
}
