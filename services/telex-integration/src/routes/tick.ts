import { errorResponseRef, HttpError, sendError } from '@fos/service-kit';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import { outboundUrlProblem } from '../outbound-url.ts';
import type { ReportRunner } from '../reports.ts';
import { SettingError, serviceFrom, thresholdsFrom } from '../settings.ts';

const TickBody = Type.Object({
  channel_id: Type.String({ minLength: 1, maxLength: 200 }),
  return_url: Type.String({ minLength: 1, maxLength: 2048 }),
  settings: Type.Optional(
    Type.Array(
      Type.Object({
        label: Type.String({ minLength: 1, maxLength: 200 }),
        default: Type.Optional(Type.Unknown()),
      }),
      { maxItems: 50 },
    ),
  ),
});
type TickBody = Static<typeof TickBody>;

const Accepted = Type.Object({ status: Type.Literal('accepted'), channel_id: Type.String() });

// Every way a body can be unusable is the sender's mistake: one status for all of them.
const BODY_ERRORS = new Set([
  'FST_ERR_CTP_BODY_TOO_LARGE',
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_JSON_BODY',
]);

export interface TickRouteOptions {
  returnUrlHosts: readonly string[];
  /** The service of a tick whose `service` setting is unset (WEBAPP_JOB). */
  defaultService: string;
  reports: ReportRunner;
  monotonic: () => number;
}

/** Throws an HttpError saying why `value` is not a return_url this service may post to. */
function checkReturnUrl(value: string, allowedHosts: readonly string[]): void {
  const problem = outboundUrlProblem('return_url', value, allowedHosts);
  if (problem)
    throw new HttpError(
      400,
      problem.reason === 'invalid' ? 'INVALID_RETURN_URL' : 'RETURN_URL_NOT_ALLOWED',
      problem.message,
    );
}

export async function tickRoutes(app: FastifyInstance, options: TickRouteOptions): Promise<void> {
  const { ticks } = app.integrationMetrics;
  app.post<{ Body: TickBody }>(
    '/tick',
    {
      schema: {
        summary: 'A tick from Telex: answered 202 at once; the report goes to return_url',
        tags: ['telex'],
        body: TickBody,
        response: { 202: Accepted, 400: errorResponseRef },
      },
      errorHandler: (error: FastifyError, request, reply) => {
        ticks.labels('rejected').inc();
        if (BODY_ERRORS.has(error.code)) {
          return sendError({ statusCode: 400, code: 'INVALID_BODY', message: error.message }, request, reply);
        }
        return sendError(error, request, reply);
      },
    },
    async (request, reply) => {
      const receivedAt = options.monotonic();
      const { channel_id: channelId, return_url: returnUrl, settings = [] } = request.body;
      checkReturnUrl(returnUrl, options.returnUrlHosts);
      let thresholds: ReturnType<typeof thresholdsFrom>;
      let service: string;
      try {
        thresholds = thresholdsFrom(settings);
        service = serviceFrom(settings, options.defaultService);
      } catch (error) {
        if (error instanceof SettingError) throw new HttpError(400, 'INVALID_SETTING', error.message);
        throw error;
      }
      ticks.labels('accepted').inc();
      options.reports.start({ channelId, returnUrl, service, thresholds, receivedAt, log: request.log });
      return reply.code(202).send({ status: 'accepted', channel_id: channelId });
    },
  );
}
