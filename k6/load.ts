// Constant arrival rate (open model) for a while: the service's normal busy day.
import type { Options } from 'k6/options';
import { hitRandomRoute, numberFromEnv, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    load: {
      executor: 'constant-arrival-rate',
      rate: numberFromEnv('RATE', 15),
      timeUnit: '1s',
      duration: `${numberFromEnv('DURATION_SECONDS', 300)}s`,
      preAllocatedVUs: 20,
      maxVUs: 200,
    },
  },
  // Stop early when the service clearly fails: no point loading a broken service for minutes.
  thresholds: thresholds(true),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('load');
