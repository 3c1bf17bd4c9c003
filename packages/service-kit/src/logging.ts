import type { FastifyServerOptions } from 'fastify';

export interface LoggingSettings {
  logLevel: string;
  nodeEnv: 'production' | 'development' | 'test';
  /** Fields on every line, e.g. the service and environment names. */
  base: Record<string, string>;
}

/** Pino options: JSON lines, pretty only in development. */
export function loggerOptions(settings: LoggingSettings): FastifyServerOptions['logger'] {
  return {
    level: settings.logLevel,
    base: settings.base,
    ...(settings.nodeEnv === 'development'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}
