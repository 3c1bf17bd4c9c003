import { type StreamResponse, type Task, TaskState } from '@a2a-js/sdk';
import { V03PushNotificationSerializer } from '@a2a-js/sdk/compat/v0_3/server';
import {
  type PushNotificationSender,
  type PushNotificationStore,
  type ServerCallContext,
  V1PushNotificationSerializer,
} from '@a2a-js/sdk/server';
import type { FastifyBaseLogger } from 'fastify';
import { type DeliveryOptions, deliver } from '../delivery.ts';
import type { IntegrationMetrics } from '../metrics.ts';
import { outboundUrlProblem } from '../outbound-url.ts';

/** Where the A2A route leaves what the push needs of the JSON-RPC call, in the call's context. */
export const CALL_STATE_KEY = 'fos.a2a-call';

export interface CallState {
  /** The JSON-RPC id: Telex's webhook wants the push as that call's response envelope. */
  rpcId: string | number | null;
  /** The caller asked not to wait (v0.3 `blocking: false`, v1.0 `returnImmediately`). */
  returnImmediately: boolean;
}

const FINAL_STATES = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

const isLegacy = (version: string) => version === '' || version.startsWith('0.');

/** A host on the allowlist (TELEX_RETURN_URL_HOSTS), over http(s); the reason when not. */
export function pushUrlProblem(value: string, allowedHosts: readonly string[]): string | undefined {
  return outboundUrlProblem('push notification URL', value, allowedHosts)?.message;
}

export interface TelexPushOptions {
  store: PushNotificationStore;
  allowedHosts: readonly string[];
  delivery: Omit<DeliveryOptions, 'onRetry' | 'headers'>;
  metrics: IntegrationMetrics;
  log: FastifyBaseLogger;
}

/**
 * Sends a task's result to the caller's webhook when the caller did not wait for it. The SDK's own
 * sender posts a bare Task with its own token header; Telex answers that 400: it wants the finished
 * task as the JSON-RPC response to its call, `{jsonrpc, id, result}`, with `Authorization: Bearer`
 * (or `X-TELEX-API-KEY` for its older TelexApiKey scheme). A v1.0 caller gets the SDK's v1.0 body.
 * Only hosts on the allowlist are posted to; tokens are never logged.
 */
export class TelexPushSender implements PushNotificationSender {
  readonly #options: TelexPushOptions;
  readonly #v03 = new V03PushNotificationSerializer();
  readonly #v1 = new V1PushNotificationSerializer();

  constructor(options: TelexPushOptions) {
    this.#options = options;
  }

  readonly #pending = new Set<Promise<void>>();

  /** Resolves once every push under way is delivered or given up on: shutdown waits for them. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  send(streamResponse: StreamResponse, context: ServerCallContext, task?: Task): Promise<void> {
    const sending = this.#send(streamResponse, context, task).finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
    return sending;
  }

  async #send(streamResponse: StreamResponse, context: ServerCallContext, task?: Task): Promise<void> {
    const call = context.state.get(CALL_STATE_KEY) as CallState | undefined;
    // A caller that waits has its answer on the connection: a push too would say it twice.
    if (!call?.returnImmediately || !task) return;
    const legacy = isLegacy(context.requestedVersion);
    if (legacy && !FINAL_STATES.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) return;
    const { store, metrics, log } = this.#options;
    const configs = await store.load(task.id, context);
    for (const config of configs) {
      const problem = pushUrlProblem(config.url, this.#options.allowedHosts);
      if (problem) {
        metrics.agentPushes.labels('refused').inc();
        log.warn({ taskId: task.id }, `push not sent: ${problem}`);
        continue;
      }
      const body = legacy
        ? {
            jsonrpc: '2.0',
            id: call.rpcId,
            result: JSON.parse(this.#v03.serialize({ payload: { $case: 'task', value: task } }, task).body),
          }
        : JSON.parse(this.#v1.serialize(streamResponse, task).body);
      const result = await deliver(config.url, body, {
        ...this.#options.delivery,
        headers: credentials(config.token, config.authentication?.scheme ?? ''),
        onRetry: (attempt, reason, detail) =>
          log.warn({ taskId: task.id, attempt, reason, detail }, 'push failed; retrying'),
      });
      metrics.agentPushes.labels(result.delivered ? 'delivered' : 'failed').inc();
      if (result.delivered) log.info({ taskId: task.id, host: new URL(config.url).host }, 'push delivered');
      else
        log.error(
          { taskId: task.id, reason: result.reason, detail: result.detail },
          'push not delivered; giving up',
        );
    }
    if (legacy) await store.delete(task.id, context);
  }
}

/** The header Telex reads the webhook's token from, by the scheme its config names. */
export function credentials(token: string, scheme: string): Record<string, string> {
  if (!token) return {};
  return /telexapikey/i.test(scheme) ? { 'x-telex-api-key': token } : { authorization: `Bearer ${token}` };
}
