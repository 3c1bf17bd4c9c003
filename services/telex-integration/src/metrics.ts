import { metricsRoute } from '@fos/service-kit';
import { Counter, collectDefaultMetrics, Histogram, Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AGENT_SKILLS } from './agent/commands.ts';
import { type FailureReason, TELEX_STATUSES } from './delivery.ts';

/** What the service does, for its own scrape job: ticks in, messages out, and how long in between. */
export interface IntegrationMetrics {
  registry: Registry;
  ticks: Counter<'result'>;
  messagesSent: Counter<'status'>;
  messagesFailed: Counter<'reason'>;
  tickToMessage: Histogram;
  agentRequests: Counter<'skill' | 'result'>;
  agentPushes: Counter<'result'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    integrationMetrics: IntegrationMetrics;
  }
}

export const FAILURE_REASONS: readonly FailureReason[] = ['network', 'timeout', 'http_4xx', 'http_5xx'];

function createMetrics(): IntegrationMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'telex-integration' });
  collectDefaultMetrics({ register: registry });
  const ticks = new Counter({
    name: 'telex_integration_ticks_total',
    help: 'Ticks received from Telex: accepted, or rejected as a bad request',
    labelNames: ['result'],
    registers: [registry],
  });
  const messagesSent = new Counter({
    name: 'telex_integration_messages_sent_total',
    help: 'Health reports delivered to a return_url, by the status they reported',
    labelNames: ['status'],
    registers: [registry],
  });
  const messagesFailed = new Counter({
    name: 'telex_integration_messages_failed_total',
    help: 'Health reports given up on after the last attempt, by the reason of that attempt',
    labelNames: ['reason'],
    registers: [registry],
  });
  const tickToMessage = new Histogram({
    name: 'telex_integration_tick_to_message_seconds',
    help: 'From receiving a tick to the return_url accepting its report, retries included',
    // Prometheus answers in milliseconds; retries wait 1, 2, 4, 8 s by default.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  const agentRequests = new Counter({
    name: 'telex_integration_agent_requests_total',
    help: 'Messages the A2A agent answered, by the skill they asked for and whether it answered or failed',
    labelNames: ['skill', 'result'],
    registers: [registry],
  });
  const agentPushes = new Counter({
    name: 'telex_integration_agent_pushes_total',
    help: 'A2A results pushed to a caller that did not wait: delivered, failed after retries, or refused (host not allowed)',
    labelNames: ['result'],
    registers: [registry],
  });
  // Every series from the start, so rate() and absent() see zeros rather than nothing.
  for (const result of ['accepted', 'rejected']) ticks.labels(result);
  for (const status of TELEX_STATUSES) messagesSent.labels(status);
  for (const reason of FAILURE_REASONS) messagesFailed.labels(reason);
  for (const skill of AGENT_SKILLS)
    for (const result of ['answered', 'failed']) agentRequests.labels(skill, result);
  for (const result of ['delivered', 'failed', 'refused']) agentPushes.labels(result);
  return { registry, ticks, messagesSent, messagesFailed, tickToMessage, agentRequests, agentPushes };
}

/** The metrics on a registry of this app's own (two apps in one test process never collide), served on /metrics. */
async function metricsPlugin(app: FastifyInstance): Promise<void> {
  const metrics = createMetrics();
  app.decorate('integrationMetrics', metrics);
  metricsRoute(app, metrics.registry);
}

export default fp(metricsPlugin, { name: 'integration-metrics', fastify: '5.x' });
