export { createServiceApp, type ServiceAppOptions } from './app.ts';
export { ConfigError, type ReadText, readEnv, readSecretLine, serviceEnvFields } from './config.ts';
export { ErrorResponse, errorResponseRef, HttpError, sendError } from './errors.ts';
export { lifecycleRoutes } from './lifecycle.ts';
export { type LoggingSettings, loggerOptions } from './logging.ts';
export { metricsRoute } from './metrics.ts';
export { type ServedConfig, serve } from './serve.ts';
