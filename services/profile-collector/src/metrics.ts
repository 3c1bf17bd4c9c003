// The collector's /metrics: what it found for each active alert's instance, under that instance's own
// job and instance labels (Prometheus scrapes this target with honor_labels, as it does a
// Pushgateway), and its own work under its own.
import { metricsRoute } from '@fos/service-kit';
import { Counter, collectDefaultMetrics, Gauge, Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type CaptureOutcome, PROFILE_TYPES, PUBLISHED_FUNCTIONS, type Target } from './collector.ts';
import type { DropReason, ProfileStore } from './store.ts';
import { FAILURE_OUTCOMES } from './take-profile.ts';

export interface CollectorMetrics {
  registry: Registry;
  captures: Counter<'profile_type' | 'outcome'>;
  dropped: Counter<'reason'>;
  polls: Counter<'result'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    collectorMetrics: CollectorMetrics;
  }
}

const OUTCOMES: readonly CaptureOutcome[] = ['taken', ...FAILURE_OUTCOMES, 'not_scraped', 'too_large'];
const DROP_REASONS: readonly DropReason[] = ['oldest', 'too_large'];

/** "src/routes/runtime.ts:42", or "" for V8's own functions. */
export const functionLocation = (f: { file: string; line: number }) => (f.file ? `${f.file}:${f.line}` : '');

export interface CollectorMetricsOptions {
  /** Read at each scrape. */
  targets: () => Target[];
  running: () => number;
  store: () => ProfileStore | undefined;
}

function createMetrics(options: CollectorMetricsOptions): CollectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const captures = new Counter({
    name: 'profile_captures_total',
    help: 'Profiles asked for because an alert was pending or firing, by type and outcome',
    labelNames: ['profile_type', 'outcome'],
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'profile_store_dropped_total',
    help: 'Profiles removed from the store to stay within its bounds (oldest), or never kept (too_large)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const polls = new Counter({
    name: 'profile_collector_polls_total',
    help: "Reads of Prometheus' pending and firing alerts, by result (ok, failed)",
    labelNames: ['result'],
    registers: [registry],
  });
  new Gauge({
    name: 'profile_captures_running',
    help: 'Captures under way now',
    registers: [registry],
    collect() {
      this.set(options.running());
    },
  });
  new Gauge({
    name: 'profile_store_profiles',
    help: 'Profiles kept',
    registers: [registry],
    collect() {
      this.set(options.store()?.size.profiles ?? 0);
    },
  });
  new Gauge({
    name: 'profile_store_bytes',
    help: 'Bytes of the profiles kept',
    registers: [registry],
    collect() {
      this.set(options.store()?.size.bytes ?? 0);
    },
  });
  new Gauge({
    name: 'profile_top_function_ratio',
    help: 'The top functions of the latest profile of an instance an alert is active about: share of its busy CPU samples (self time), or of its live sampled heap bytes',
    labelNames: ['job', 'instance', 'profile_type', 'rank', 'function', 'location'],
    registers: [registry],
    collect() {
      this.reset();
      for (const target of options.targets()) {
        if (!target.result || !('top' in target.result)) continue;
        target.result.top.slice(0, PUBLISHED_FUNCTIONS).forEach((f, index) => {
          this.set(
            {
              job: target.job,
              instance: target.instance,
              profile_type: target.type,
              rank: String(index + 1),
              function: f.function,
              location: functionLocation(f),
            },
            f.ratio,
          );
        });
      }
    },
  });
  new Gauge({
    name: 'profile_capture_info',
    help: 'The profile taken for an instance an alert is active about (profile_id), or why there is none (problem)',
    labelNames: ['job', 'instance', 'profile_type', 'profile_id', 'problem'],
    registers: [registry],
    collect() {
      this.reset();
      for (const target of options.targets()) {
        if (!target.result) continue;
        this.set(
          {
            job: target.job,
            instance: target.instance,
            profile_type: target.type,
            profile_id: 'profileId' in target.result ? target.result.profileId : '',
            problem: 'problem' in target.result ? target.result.problem : '',
          },
          1,
        );
      }
    },
  });
  // Every series from the start, so rate() and absent() see zeros rather than nothing.
  for (const type of PROFILE_TYPES) for (const outcome of OUTCOMES) captures.labels(type, outcome);
  for (const reason of DROP_REASONS) dropped.labels(reason);
  for (const result of ['ok', 'failed']) polls.labels(result);
  return { registry, captures, dropped, polls };
}

async function collectorMetricsPlugin(app: FastifyInstance, options: CollectorMetricsOptions): Promise<void> {
  const metrics = createMetrics(options);
  app.decorate('collectorMetrics', metrics);
  metricsRoute(app, metrics.registry);
}

export default fp(collectorMetricsPlugin, { name: 'collector-metrics', fastify: '5.x' });
