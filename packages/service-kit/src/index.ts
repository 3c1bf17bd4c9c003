export { createServiceApp, type ServiceAppOptions } from './app.ts';
export { authorizationHeader, type Login } from './basic-auth.ts';
export { ConfigError, type ReadText, readEnv, readSecretLine, serviceEnvFields } from './config.ts';
export { ErrorResponse, errorResponseRef, HttpError, sendError } from './errors.ts';
export { lifecycleRoutes } from './lifecycle.ts';
export { type LoggingSettings, loggerOptions } from './logging.ts';
export { metricsRoute } from './metrics.ts';
export {
  describeFetchError,
  PrometheusClient,
  PrometheusError,
  type RuleAlert,
  type Sample,
} from './prometheus-client.ts';
export { type ServedConfig, serve } from './serve.ts';
