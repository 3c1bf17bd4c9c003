// A few seconds at a low rate: proves the routes answer and the thresholds hold. Used by the tests.
import type { Options } from 'k6/options';
import { constantArrival, hitRandomRoute, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

export const options: Options = {
  scenarios: {
    smoke: constantArrival({ rate: 10, durationSeconds: 5, preAllocatedVUs: 5, maxVUs: 20 }),
  },
  thresholds: thresholds(false),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('smoke');
