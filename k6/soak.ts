// Long and gentle: leaks and slow drifts show over hours, not minutes.
import type { Options } from 'k6/options';
import { hitRandomRoute, numberFromEnv, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: numberFromEnv('RATE', 5),
      timeUnit: '1s',
      duration: `${numberFromEnv('DURATION_SECONDS', 3600)}s`,
      preAllocatedVUs: 10,
      maxVUs: 50,
    },
  },
  thresholds: thresholds(true),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('soak');
