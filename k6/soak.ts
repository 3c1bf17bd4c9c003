// Long and gentle: leaks and slow drifts show over hours, not minutes.
import type { Options } from 'k6/options';
import { constantArrival, hitRandomRoute, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    soak: constantArrival({ rate: 5, durationSeconds: 3600, preAllocatedVUs: 10, maxVUs: 50 }),
  },
  thresholds: thresholds(true),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('soak');
