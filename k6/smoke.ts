// A few seconds at a low rate: proves the routes answer and the thresholds hold. Used by the tests.
import type { Options } from 'k6/options';
import { hitRandomRoute, numberFromEnv, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    smoke: {
      executor: 'constant-arrival-rate',
      rate: numberFromEnv('RATE', 10),
      timeUnit: '1s',
      duration: `${numberFromEnv('DURATION_SECONDS', 5)}s`,
      preAllocatedVUs: 5,
      maxVUs: 20,
    },
  },
  thresholds: thresholds(false),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('smoke');
