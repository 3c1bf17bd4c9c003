import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Message, Role, type Task, TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { answerText, a2aCall as telexCall, telexMessageSend as telexSend } from '@fos/stack/a2a';
import { waitFor } from '@fos/stack/process';
import { describe, expect, it } from 'vitest';
import { listeningApp, telexStandIn } from './helpers.ts';

const compat = { legacyCompat: { enabled: true } };
/** The SDK's own client, able to read the v0.3 card too. */
const clientFactory = () =>
  new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      cardResolver: new DefaultAgentCardResolver(compat),
      transports: [new JsonRpcTransportFactory(compat)],
    }),
  );

function userMessage(text: string): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' },
    ],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}

const ask = (
  client: Client,
  text: string,
  configuration?: { returnImmediately?: boolean; acceptedOutputModes?: string[] },
) =>
  client.sendMessage({
    tenant: '',
    metadata: {},
    message: userMessage(text),
    configuration: configuration
      ? {
          acceptedOutputModes: configuration.acceptedOutputModes ?? [],
          taskPushNotificationConfig: undefined,
          returnImmediately: configuration.returnImmediately ?? false,
        }
      : undefined,
  });

/** The text of a task's final status message. */
function answerOf(task: Task): { text: string; mediaType: string } {
  const part = task.status?.message?.parts[0];
  return {
    text: part?.content?.$case === 'text' ? part.content.value : '',
    mediaType: part?.mediaType ?? '',
  };
}

const asTask = (result: unknown): Task => {
  expect(result, 'a task, not a bare message').toHaveProperty('status');
  return result as Task;
};

describe('the A2A agent, driven by the official SDK client', () => {
  it('serves a valid card at both well-known paths: v0.3 without a version header, v1.0 with one', async () => {
    const { url } = await listeningApp();
    for (const path of ['/.well-known/agent.json', '/.well-known/agent-card.json']) {
      const legacy = (await (await fetch(`${url}${path}`)).json()) as Record<string, unknown> & {
        skills: { id: string }[];
        capabilities: unknown;
        supportedInterfaces: unknown[];
      };
      expect(legacy).toMatchObject({
        url: `${url}/a2a`,
        protocolVersion: '0.3',
        preferredTransport: 'JSONRPC',
      });
      expect(legacy.capabilities).toMatchObject({ streaming: true, pushNotifications: true });
      expect(legacy.skills.map((s: { id: string }) => s.id)).toEqual([
        'health-report',
        'firing-alerts',
        'silence-alert',
      ]);
      const v1 = (await (
        await fetch(`${url}${path}`, { headers: { 'A2A-Version': '1.0' } })
      ).json()) as Record<string, unknown> & {
        skills: { id: string }[];
        capabilities: unknown;
        supportedInterfaces: unknown[];
      };
      expect(v1.supportedInterfaces).toContainEqual(
        expect.objectContaining({ url: `${url}/a2a`, protocolVersion: '1.0' }),
      );
      // The SDK's resolver validates the card it reads.
      const client = await clientFactory().createFromUrl(url, path);
      expect(client.protocolVersion).toBe('1.0');
    }
  });

  it('serves the Telex workflow whose A2A node points at the agent', async () => {
    const { url } = await listeningApp();
    const workflow = (await (await fetch(`${url}/telex-workflow.json`)).json()) as { nodes: unknown[] };
    expect(workflow.nodes).toEqual([
      expect.objectContaining({ type: 'a2a/mastra-a2a-node', url: `${url}/a2a` }),
    ]);
  });

  it('answers message/send blocking, in Markdown, and plain text to a caller that accepts only that', async () => {
    const { url } = await listeningApp();
    const client = await clientFactory().createFromUrl(url);
    const task = asTask(await ask(client, 'hello'));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const answer = answerOf(task);
    expect(answer.mediaType).toBe('text/markdown');
    expect(answer.text).toContain('`what is firing?`');
    expect(task.artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: answer.text });
    const plainTask = asTask(await ask(client, 'hello', { acceptedOutputModes: ['text/plain'] }));
    expect(answerOf(plainTask)).toMatchObject({ mediaType: 'text/plain' });
    expect(answerOf(plainTask).text).toContain('- say what is firing now: what is firing?');
    expect(answerOf(plainTask).text).not.toContain('`');
  });

  it('streams message/stream over SSE: the task, its answer, then completed', async () => {
    const { url } = await listeningApp();
    const client = await clientFactory().createFromUrl(url);
    const kinds: string[] = [];
    let last: TaskState | undefined;
    for await (const event of client.sendMessageStream({
      tenant: '',
      metadata: {},
      message: userMessage('help'),
      configuration: undefined,
    })) {
      kinds.push(event.payload?.$case ?? '');
      if (event.payload?.$case === 'statusUpdate') last = event.payload.value.status?.state;
    }
    expect(kinds).toEqual(['task', 'artifactUpdate', 'statusUpdate']);
    expect(last).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('answers message/send non-blocking at once, and tasks/get has the answer once it is done', async () => {
    const { url } = await listeningApp();
    const client = await clientFactory().createFromUrl(url);
    const first = asTask(await ask(client, 'help', { returnImmediately: true }));
    expect(first.status?.state).not.toBe(TaskState.TASK_STATE_UNSPECIFIED);
    const done = await waitFor(
      'the task completed',
      async () => {
        const task = await client.getTask({ tenant: '', id: first.id, historyLength: undefined });
        return task.status?.state === TaskState.TASK_STATE_COMPLETED ? task : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(answerOf(done).text).toContain('I can:');
  });

  it('fails the task, saying why, when Alertmanager cannot be reached; errors are JSON-RPC errors', async () => {
    const { url } = await listeningApp();
    const client = await clientFactory().createFromUrl(url);
    const task = asTask(await ask(client, 'what is firing?'));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(answerOf(task).text).toMatch(
      /^Could not reach Alertmanager: no Alertmanager answered \(http:\/\/127\.0\.0\.1:9093: ECONNREFUSED/,
    );
    await expect(
      client.getTask({ tenant: '', id: 'no-such-task', historyLength: undefined }),
    ).rejects.toThrow(/not found/i);
    const parse = await telexCall(url, '{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(parse).toMatchObject({ status: 200, body: { jsonrpc: '2.0', id: null, error: { code: -32700 } } });
    const unknown = await telexCall(url, { jsonrpc: '2.0', id: 2, method: 'tasks/delete', params: {} });
    expect(unknown.body).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: expect.any(Number) } });
    expect(unknown.body.result).toBeUndefined();
  });
});

describe('the A2A agent, called as Telex calls it', () => {
  it('answers a Telex message: HTML text, the history data part, metadata and configuration null', async () => {
    const { url } = await listeningApp();
    const { status, body } = await telexCall(url, telexSend('rpc-1', '<p>what can you <b>do</b>?</p>'));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      jsonrpc: '2.0',
      id: 'rpc-1',
      result: { kind: 'task', contextId: 'channel-9', status: { state: 'completed' } },
    });
    const text = answerText({ status, body });
    // The question, not the history: "health" there asked nothing.
    expect(text).toMatch(/^I can:/);
    const unknown = await telexCall(url, telexSend('rpc-2', '<p>make me a sandwich</p>'));
    expect(answerText(unknown)).toMatch(/^I did not understand `make me a sandwich`\. I can:/);
  });

  it.each([
    ['Bearer', { authorization: 'Bearer push-token-1' }],
    ['TelexApiKey', { 'x-telex-api-key': 'push-token-1' }],
  ])('pushes a non-blocking answer to the webhook as a JSON-RPC envelope (%s)', async (scheme, expected) => {
    const telex = await telexStandIn();
    const logLines: string[] = [];
    const { url } = await listeningApp({ logLines });
    const { body } = await telexCall(
      url,
      telexSend('rpc-push', '<p>help</p>', {
        acceptedOutputModes: ['text/plain', 'image/png'],
        historyLength: 0,
        blocking: false,
        pushNotificationConfig: {
          url: `${telex.url}/v1/a2a/webhooks/abc`,
          token: 'push-token-1',
          authentication: { schemes: [scheme] },
        },
      }),
    );
    expect(body).toMatchObject({ id: 'rpc-push', result: { kind: 'task', status: { state: 'working' } } });
    const taskId = body.result?.id;
    const [push] = await telex.waitForRequests(1, 10_000, '/v1/a2a/webhooks/abc');
    expect(push?.headers).toMatchObject(expected);
    const envelope = JSON.parse(push?.body ?? '{}');
    expect(envelope).toMatchObject({
      jsonrpc: '2.0',
      id: 'rpc-push',
      result: { kind: 'task', id: taskId, contextId: 'channel-9', status: { state: 'completed' } },
    });
    // Plain text: Telex accepted no Markdown.
    expect(envelope.result.status.message.parts[0].text).toContain(
      '- say what is firing now: what is firing?',
    );
    // Only once (the completed state is the task's last event), and the token is in no log line.
    await waitFor('the push logged', async () => logLines.join('').includes('push delivered') || undefined, {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    expect(telex.requests).toHaveLength(1);
    expect(logLines.join('')).not.toContain('push-token-1');
  });

  it('refuses a silence without a duration or longer than 7 days, asking again, before calling Alertmanager', async () => {
    // No Alertmanager listens: a refusal that reached for it would fail instead.
    const { url } = await listeningApp();
    const none = await telexCall(url, telexSend('rpc-s1', '<p>silence HighLatencyP95 because deploying</p>'));
    expect(none.body.result?.status?.state).toBe('completed');
    expect(answerText(none)).toBe(
      'Not silenced: say for how long, e.g. `silence HighLatencyP95 for 1h because we are deploying` (at most 7d).',
    );
    const long = await telexCall(url, telexSend('rpc-s2', 'silence HighLatencyP95 for 8 days'));
    expect(answerText(long)).toMatch(/^Not silenced: 8d is longer than the 7d a silence may last here/);
  });

  it('refuses a push URL off the allowlist, posting nothing', async () => {
    const { url } = await listeningApp({ env: { TELEX_RETURN_URL_HOSTS: 'ping.telex.im' } });
    const telex = await telexStandIn();
    const { body } = await telexCall(
      url,
      telexSend('rpc-3', 'help', {
        blocking: false,
        pushNotificationConfig: { url: `${telex.url}/hook`, token: 't' },
      }),
    );
    expect(body).toMatchObject({
      id: 'rpc-3',
      error: {
        code: -32602,
        message:
          "push notification URL host '127.0.0.1' is not allowed (TELEX_RETURN_URL_HOSTS: ping.telex.im)",
      },
    });
    expect(telex.requests).toHaveLength(0);
  });

  it('asks for its API key when AGENT_API_KEY_FILE is set, and never logs it', async () => {
    const file = join(tmpdir(), `agent-key-${process.pid}-${Date.now()}`);
    await writeFile(file, 'k3y-of-the-agent\n');
    const logLines: string[] = [];
    const { url } = await listeningApp({ env: { AGENT_API_KEY_FILE: file }, logLines });
    const refused = await telexCall(url, telexSend('rpc-4', 'help'));
    expect(refused).toMatchObject({ status: 401, body: { id: 'rpc-4', error: { code: -32600 } } });
    const wrong = await telexCall(url, telexSend('rpc-5', 'help'), { 'x-telex-api-key': 'k3y-of-the-agenT' });
    expect(wrong.status).toBe(401);
    const answered = await telexCall(url, telexSend('rpc-6', 'help'), {
      'x-telex-api-key': 'k3y-of-the-agent',
    });
    expect(answered.body).toMatchObject({ id: 'rpc-6', result: { status: { state: 'completed' } } });
    const bearer = await telexCall(url, telexSend('rpc-7', 'help'), {
      authorization: 'Bearer k3y-of-the-agent',
    });
    expect(bearer.status).toBe(200);
    // The card stays public: Telex reads it before it calls.
    expect((await fetch(`${url}/.well-known/agent.json`)).status).toBe(200);
    expect(logLines.join('')).not.toContain('k3y-of-the-agent');
  });
});
