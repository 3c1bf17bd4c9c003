import { timingSafeEqual } from 'node:crypto';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import { defaultServerCallContextBuilder } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AGENT_CARD_PATHS, AGENT_PATH, telexWorkflow } from '../agent/card.ts';
import { CALL_STATE_KEY, type CallState, pushUrlProblem } from '../agent/push.ts';

export interface A2ARouteOptions {
  handler: A2ARequestHandler;
  /** Where Telex reaches the agent (PUBLIC_URL). */
  publicUrl: string;
  /** Hosts a push notification URL may name (TELEX_RETURN_URL_HOSTS). */
  pushUrlHosts: readonly string[];
  /** When set, calls must carry it (X-TELEX-API-KEY, or Authorization: Bearer). */
  apiKey?: string;
}

type JsonRpcBody = { id?: unknown; method?: unknown; params?: Record<string, unknown> };
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};

/** Every push URL a call would register, in v0.3's shapes and v1.0's. */
function pushUrls(body: JsonRpcBody): unknown[] {
  const params = record(body.params);
  const configuration = record(params.configuration);
  return [
    record(configuration.pushNotificationConfig).url,
    record(configuration.taskPushNotificationConfig).url,
    record(params.pushNotificationConfig).url,
    body.method === 'CreateTaskPushNotificationConfig' ? params.url : undefined,
  ].filter((url) => url !== undefined && url !== null);
}

function rpcId(body: JsonRpcBody): string | number | null {
  return typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null;
}

function keyMatches(request: FastifyRequest, apiKey: string): boolean {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const sent = (request.headers['x-telex-api-key'] as string | undefined) ?? bearer ?? '';
  const a = Buffer.from(sent);
  const b = Buffer.from(apiKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The A2A agent: its card at both well-known paths and JSON-RPC at /a2a, served by the SDK's own
 * Express handlers (the SDK has no Fastify adapter, and its handlers do the v0.3/v1.0 negotiation,
 * the card's translation and SSE). Fastify parses and checks each call first (body limit, push URL
 * allowlist, the API key), then hands the raw request to Express with the body already read.
 */
export async function a2aRoutes(app: FastifyInstance, options: A2ARouteOptions): Promise<void> {
  // What the push sender needs of each call, found again from the headers object the SDK passes on.
  const calls = new WeakMap<object, CallState>();
  const web = express();
  web.disable('x-powered-by');
  web.set('env', 'production');
  const card = agentCardHandler({ agentCardProvider: options.handler, legacyCompat: { enabled: true } });
  for (const path of AGENT_CARD_PATHS) web.use(path, card);
  web.use(
    AGENT_PATH,
    jsonRpcHandler({
      requestHandler: options.handler,
      userBuilder: UserBuilder.noAuthentication,
      legacyCompat: { enabled: true },
      contextBuilder: (builder) => {
        const context = defaultServerCallContextBuilder(builder);
        const call = calls.get(builder.headers);
        if (call) context.state.set(CALL_STATE_KEY, call);
        return context;
      },
    }),
  );
  const toExpress = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    // body-parser skips a request whose stream is read already and keeps `body` as it finds it.
    Object.assign(request.raw, { body: request.body });
    web(request.raw as express.Request, reply.raw as express.Response);
  };

  for (const path of AGENT_CARD_PATHS) {
    app.get(
      path,
      {
        schema: {
          summary: 'The A2A agent card (v0.3 without an A2A-Version header, else v1.0)',
          tags: ['a2a'],
        },
      },
      toExpress,
    );
  }

  const workflow = telexWorkflow(options.publicUrl);
  app.get(
    '/telex-workflow.json',
    { schema: { summary: 'The Telex AI coworker workflow whose node points at this agent', tags: ['a2a'] } },
    async () => workflow,
  );

  const jsonRpcError = (
    reply: FastifyReply,
    status: number,
    id: string | number | null,
    code: number,
    message: string,
  ) => reply.code(status).send({ jsonrpc: '2.0', id, error: { code, message } });

  app.post<{ Body: JsonRpcBody }>(
    AGENT_PATH,
    {
      bodyLimit: 256 * 1024,
      schema: {
        summary: 'A2A JSON-RPC: message/send, message/stream, tasks/get (v0.3) and their v1.0 names',
        tags: ['a2a'],
      },
      // A body Fastify cannot read is JSON-RPC's parse error, answered as JSON-RPC answers it.
      errorHandler: (error: FastifyError, _request, reply) =>
        error.code?.startsWith('FST_ERR_CTP_')
          ? jsonRpcError(
              reply,
              error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : 200,
              null,
              -32700,
              error.message,
            )
          : reply.send(error),
    },
    async (request, reply) => {
      const body = record(request.body) as JsonRpcBody;
      const id = rpcId(body);
      if (options.apiKey !== undefined && !keyMatches(request, options.apiKey)) {
        return jsonRpcError(
          reply,
          401,
          id,
          -32600,
          'this agent asks for its API key: send it as X-TELEX-API-KEY or Authorization: Bearer',
        );
      }
      const problem = pushUrls(body)
        .map((url) => pushUrlProblem(String(url), options.pushUrlHosts))
        .find(Boolean);
      if (problem) return jsonRpcError(reply, 200, id, -32602, problem);
      const configuration = record(record(body.params).configuration);
      calls.set(request.raw.headers, {
        rpcId: id,
        returnImmediately: configuration.blocking === false || configuration.returnImmediately === true,
      });
      toExpress(request, reply);
      return reply;
    },
  );
}
