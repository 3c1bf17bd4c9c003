import { randomUUID } from 'node:crypto';
import { type Message, type Part, Role, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import type { PrometheusClient } from '@fos/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { type AlertmanagerClient, AlertmanagerError } from '../alertmanager.ts';
import { healthReport, readFigures, unavailableReport } from '../health-report.ts';
import type { IntegrationMetrics } from '../metrics.ts';
import { THRESHOLD_SETTINGS, type Thresholds } from '../settings.ts';
import {
  expiredAnswer,
  firingAnswer,
  healthAnswer,
  helpAnswer,
  type Links,
  type Style,
  silenceAnswer,
  silenceNeedsDuration,
  silenceTooLong,
  styleFor,
} from './answers.ts';
import { type Command, MAX_SILENCE_MS, parseCommand, plainText } from './commands.ts';

export interface AgentOptions {
  prometheus: PrometheusClient;
  alertmanager: AlertmanagerClient;
  links: Links;
  /** The service a health question names none of (WEBAPP_JOB). */
  defaultService: string;
  metrics: IntegrationMetrics;
  log: FastifyBaseLogger;
  /** Wall clock, ms since the epoch: injected for tests. */
  now: () => number;
}

/** The interval report's defaults: a channel asking in words has no settings page. */
const DEFAULT_THRESHOLDS = Object.fromEntries(
  THRESHOLD_SETTINGS.map((s) => [s.key, s.default]),
) as unknown as Thresholds;

/**
 * The words of the user's message: its text parts, HTML stripped. Telex adds a data part holding the
 * channel's earlier messages; that is history, not the question.
 */
export function questionOf(message: Message): string {
  return message.parts
    .map((part: Part) => (part.content?.$case === 'text' ? plainText(part.content.value) : ''))
    .filter(Boolean)
    .join(' ');
}

class SkillFailed extends Error {
  override name = 'SkillFailed';
}

/**
 * The A2A agent's logic: each message is one task, answered at once from Prometheus and
 * Alertmanager. Unknown words get help, never an error; a backend that fails makes the task fail
 * with a message that says which and why.
 */
export class StackAgent implements AgentExecutor {
  readonly #options: AgentOptions;

  constructor(options: AgentOptions) {
    this.#options = options;
  }

  // Answers take a second at most: there is nothing to cancel.
  cancelTask = async (): Promise<void> => {};

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = context;
    const message = context.userMessage;
    const style = styleFor(context.request.configuration?.acceptedOutputModes);
    const command = parseCommand(questionOf(message));
    const startedAt = new Date(this.#options.now()).toISOString();
    if (!context.task) {
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_WORKING, timestamp: startedAt, message: undefined },
          artifacts: [],
          history: [message],
          metadata: undefined,
        }),
      );
    }
    let text: string;
    let state = TaskState.TASK_STATE_COMPLETED;
    try {
      text = await this.#answer(command, message, style);
    } catch (error) {
      if (!(error instanceof SkillFailed)) throw error;
      text = error.message;
      state = TaskState.TASK_STATE_FAILED;
    }
    this.#options.metrics.agentRequests
      .labels(command.skill, state === TaskState.TASK_STATE_FAILED ? 'failed' : 'answered')
      .inc();
    const part: Part = {
      content: { $case: 'text', value: text },
      metadata: undefined,
      filename: '',
      mediaType: style.mediaType,
    };
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: {
          artifactId: randomUUID(),
          name: command.skill,
          description: '',
          parts: [part],
          metadata: undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: {
          state,
          timestamp: new Date(this.#options.now()).toISOString(),
          message: {
            messageId: randomUUID(),
            contextId,
            taskId,
            role: Role.ROLE_AGENT,
            parts: [part],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          },
        },
        metadata: undefined,
      }),
    );
  }

  async #answer(command: Command, message: Message, style: Style): Promise<string> {
    const { links } = this.#options;
    switch (command.skill) {
      case 'help':
        return helpAnswer(this.#options.defaultService, command.unknown, style);
      case 'health': {
        const job = command.service ?? this.#options.defaultService;
        const at = new Date(Math.floor(this.#options.now() / 1000) * 1000);
        try {
          const figures = await readFigures(this.#options.prometheus, job, at);
          return healthAnswer(
            healthReport(figures, DEFAULT_THRESHOLDS, { job, grafanaUrl: links.grafanaUrl }).message,
            style,
          );
        } catch (error) {
          throw new SkillFailed(healthAnswer(unavailableReport(error, at, job).message, style));
        }
      }
      case 'firing': {
        const alerts = await this.#alertmanager(() => this.#options.alertmanager.alerts());
        return firingAnswer(alerts, links, new Date(this.#options.now()), style);
      }
      case 'silence':
        return this.#silence(command, message, style);
      case 'expire-silence':
        await this.#alertmanager(() => this.#options.alertmanager.expireSilence(command.id));
        return expiredAnswer(command.id, style);
    }
  }

  async #silence(
    command: Extract<Command, { skill: 'silence' }>,
    message: Message,
    style: Style,
  ): Promise<string> {
    if (command.durationMs === undefined) return silenceNeedsDuration(command.alertname, style);
    if (command.durationMs > MAX_SILENCE_MS) return silenceTooLong(command.durationMs, style);
    const now = this.#options.now();
    const matchers = [
      { name: 'alertname', value: command.alertname },
      ...(command.service ? [{ name: 'job', value: command.service }] : []),
    ];
    const metadata = message.metadata ?? {};
    const user = typeof metadata.telex_user_id === 'string' ? metadata.telex_user_id : '';
    const channel =
      typeof metadata.telex_channel_id === 'string' ? metadata.telex_channel_id : message.contextId;
    const createdBy = user ? `telex user ${user}` : 'an A2A client';
    const comment = `${command.reason ?? 'no reason given'} (asked in ${channel ? `Telex channel ${channel}` : 'an A2A conversation'})`;
    const endsAt = new Date(now + command.durationMs);
    const { alertmanager } = this.#options;
    const id = await this.#alertmanager(() =>
      alertmanager.createSilence({ matchers, startsAt: new Date(now), endsAt, createdBy, comment }),
    );
    // What it mutes now: Alertmanager marks alerts silenced at its next evaluation, so match here.
    const alerts = await this.#alertmanager(() => alertmanager.alerts());
    const muting = alerts.filter((alert) => matchers.every((m) => alert.labels[m.name] === m.value)).length;
    this.#options.log.info(
      { silence: id, matchers, endsAt, createdBy },
      'silence created from an A2A request',
    );
    return silenceAnswer({ id, matchers, endsAt, createdBy, comment, muting }, this.#options.links, style);
  }

  async #alertmanager<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AlertmanagerError)
        throw new SkillFailed(`Could not reach Alertmanager: ${error.message}`);
      throw error;
    }
  }
}
