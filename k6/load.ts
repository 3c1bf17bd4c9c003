// Constant arrival rate (open model) for a while: the service's normal busy day.
import type { Options } from 'k6/options';
import { constantArrival, hitRandomRoute, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    load: constantArrival({ rate: 15, durationSeconds: 300, preAllocatedVUs: 20, maxVUs: 200 }),
  },
  // Stop early when the service clearly fails: no point loading a broken service for minutes.
  thresholds: thresholds(true),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('load');
