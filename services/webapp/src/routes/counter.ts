import { errorResponseRef, HttpError } from '@fos/service-kit';
import { Counter, Gauge } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';
import { CheckpointError, CheckpointedCounter, CounterOverflowError } from '../counter.ts';

export interface CounterRoutesOptions {
  checkpointPath: string;
}

const MAX_INCREMENT = 1_000_000;

const ValueResponse = {
  type: 'object',
  required: ['value'],
  properties: { value: { type: 'integer' } },
} as const;

const CheckpointResponse = {
  type: 'object',
  required: ['value', 'path', 'at'],
  properties: {
    value: { type: 'integer' },
    path: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
  },
} as const;

const STATUS_BY_CHECKPOINT_ERROR = {
  CHECKPOINT_MISSING: 404,
  CHECKPOINT_CORRUPT: 500,
  CHECKPOINT_WRITE_FAILED: 500,
} as const;

const errorResponses = { '4xx': errorResponseRef, '5xx': errorResponseRef };

/** A business-level example: a counter whose state survives restarts through checkpoints. */
export async function counterRoutes(app: FastifyInstance, options: CounterRoutesOptions): Promise<void> {
  const registers = [app.metricsRegistry];
  const value = new Gauge({ name: 'app_counter_value', help: 'Current value of the counter', registers });
  const checkpoints = new Counter({
    name: 'app_counter_checkpoints_total',
    help: 'Checkpoints attempted, by result',
    labelNames: ['result'] as const,
    registers,
  });
  const restores = new Counter({
    name: 'app_counter_restores_total',
    help: 'Restores attempted, by result',
    labelNames: ['result'] as const,
    registers,
  });
  const lastCheckpointValue = new Gauge({
    name: 'app_counter_last_checkpoint_value',
    help: 'Counter value written by the last successful checkpoint',
    registers,
  });
  const lastRestoreValue = new Gauge({
    name: 'app_counter_last_restore_value',
    help: 'Counter value loaded by the last successful restore',
    registers,
  });
  // Zero every series up front: rate() and alerts need the series to exist before the first event.
  for (const result of ['success', 'failure']) {
    checkpoints.inc({ result }, 0);
    restores.inc({ result }, 0);
  }
  value.set(0);

  const counter = new CheckpointedCounter(options.checkpointPath, {
    onChange: (current) => value.set(current),
    onCheckpoint: (result, current) => {
      checkpoints.inc({ result });
      if (result === 'success') lastCheckpointValue.set(current);
    },
    onRestore: (result, current) => {
      restores.inc({ result });
      if (result === 'success') lastRestoreValue.set(current);
    },
  });

  const asHttpError = (error: unknown): unknown =>
    error instanceof CheckpointError
      ? new HttpError(STATUS_BY_CHECKPOINT_ERROR[error.code], error.code, error.message)
      : error;

  app.get(
    '/counter',
    { schema: { summary: 'Current counter value', tags: ['counter'], response: { 200: ValueResponse } } },
    async () => ({ value: counter.value }),
  );

  app.post<{ Querystring: { by: number } }>(
    '/counter/increment',
    {
      schema: {
        summary: 'Add to the counter',
        tags: ['counter'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { by: { type: 'integer', minimum: 1, maximum: MAX_INCREMENT, default: 1 } },
        },
        response: { 200: ValueResponse, ...errorResponses },
      },
    },
    async (request) => {
      try {
        return { value: counter.increment(request.query.by) };
      } catch (error) {
        if (error instanceof CounterOverflowError)
          throw new HttpError(409, 'COUNTER_OVERFLOW', error.message);
        // Ajv's integer check lets Infinity through (Infinity % 1 is NaN): bad input, not a conflict.
        throw new HttpError(400, 'INVALID_INCREMENT', `by must be an integer from 1 to ${MAX_INCREMENT}`);
      }
    },
  );

  app.post(
    '/counter/checkpoint',
    {
      schema: {
        summary: 'Save the counter to the checkpoint file (atomic write)',
        tags: ['counter'],
        response: { 200: CheckpointResponse, ...errorResponses },
      },
    },
    async () => {
      try {
        return await counter.checkpoint();
      } catch (error) {
        throw asHttpError(error);
      }
    },
  );

  app.post(
    '/counter/restore',
    {
      schema: {
        summary: 'Load the counter from the checkpoint file; on error the value is unchanged',
        tags: ['counter'],
        response: { 200: CheckpointResponse, ...errorResponses },
      },
    },
    async () => {
      try {
        return await counter.restore();
      } catch (error) {
        throw asHttpError(error);
      }
    },
  );
}
