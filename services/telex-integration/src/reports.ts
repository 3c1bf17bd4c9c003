import type { PrometheusClient } from '@fos/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { type DeliveryOptions, deliver, type TelexMessage } from './delivery.ts';
import { healthReport, readFigures, unavailableReport } from './health-report.ts';
import { type JaegerClient, traceLink } from './jaeger.ts';
import type { IntegrationMetrics } from './metrics.ts';
import type { Thresholds } from './settings.ts';

export const MESSAGE_USERNAME = 'Fastify Observability Stack';
export const MESSAGE_EVENT_NAME = 'Webapp health report';

export interface ReportJob {
  channelId: string;
  returnUrl: string;
  /** The Prometheus job the report is about (the channel's `service` setting). */
  service: string;
  thresholds: Thresholds;
  /** performance.now() when the tick arrived. */
  receivedAt: number;
  log: FastifyBaseLogger;
}

export interface ReportRunnerOptions {
  prometheus: PrometheusClient;
  /** Where the slowest route's slowest trace is looked up; none leaves that line out. */
  jaeger?: JaegerClient;
  grafanaUrl: string;
  /** Jaeger's UI, where a trace link opens without Grafana; empty: the Jaeger client's API. */
  jaegerPublicUrl: string;
  metrics: IntegrationMetrics;
  delivery: Omit<DeliveryOptions, 'onRetry'>;
  /** Wall clock (ms since the epoch) and monotonic clock (ms), injected for tests. */
  now: () => number;
  monotonic: () => number;
}

/**
 * Runs each tick's report in the background (the tick was answered 202 already) and keeps track of
 * those under way, so that shutting down waits for them instead of dropping a report half-sent.
 */
export class ReportRunner {
  readonly #options: ReportRunnerOptions;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: ReportRunnerOptions) {
    this.#options = options;
  }

  start(job: ReportJob): void {
    const running = this.#run(job).finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }

  /** Resolves once every report under way is delivered or given up on. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #run(job: ReportJob): Promise<void> {
    const { prometheus, metrics } = this.#options;
    // Whole seconds: the report names this moment, and the same queries at it give the same figures.
    const at = new Date(Math.floor(this.#options.now() / 1000) * 1000);
    let report: ReturnType<typeof healthReport>;
    try {
      const figures = await readFigures(prometheus, job.service, at);
      const { jaeger } = this.#options;
      if (jaeger && figures.slowestRoute) {
        const from = new Date(at.getTime() - 5 * 60_000);
        try {
          const slowest = await jaeger.slowestTrace(job.service, figures.slowestRoute.route, from, at);
          figures.slowestTrace = slowest
            ? {
                ...slowest,
                link: traceLink(
                  slowest.traceId,
                  {
                    grafanaUrl: this.#options.grafanaUrl,
                    jaegerUrl: jaeger.url,
                    jaegerPublicUrl: this.#options.jaegerPublicUrl,
                  },
                  from,
                  at,
                ),
              }
            : 'none';
        } catch (error) {
          job.log.warn({ err: error }, 'health report without its slowest trace: Jaeger failed');
          figures.slowestTrace = { unavailable: (error as Error).message };
        }
      }
      report = healthReport(figures, job.thresholds, {
        job: job.service,
        grafanaUrl: this.#options.grafanaUrl,
      });
    } catch (error) {
      job.log.warn({ err: error }, 'health report without figures: Prometheus failed');
      report = unavailableReport(error, at, job.service);
    }
    const message: TelexMessage = {
      message: report.message,
      username: MESSAGE_USERNAME,
      event_name: MESSAGE_EVENT_NAME,
      status: report.status,
    };
    const result = await deliver(job.returnUrl, message, {
      ...this.#options.delivery,
      onRetry: (attempt, reason, detail) =>
        job.log.warn(
          { attempt, reason, detail, channelId: job.channelId },
          'posting the report failed; retrying',
        ),
    });
    if (result.delivered) {
      metrics.messagesSent.labels(report.status).inc();
      const seconds = (this.#options.monotonic() - job.receivedAt) / 1000;
      metrics.tickToMessage.observe(seconds);
      job.log.info(
        { channelId: job.channelId, status: report.status, attempts: result.attempts, seconds },
        'health report posted',
      );
    } else {
      metrics.messagesFailed.labels(result.reason).inc();
      job.log.error(
        { channelId: job.channelId, reason: result.reason, detail: result.detail, attempts: result.attempts },
        'health report not delivered; giving up',
      );
    }
  }
}
