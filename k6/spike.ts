// Crosses the HighRequestVolume threshold (20 req/s over 30 s) for SPIKE_SECONDS, then recovers.
import type { Options } from 'k6/options';
import { hitRandomRoute, numberFromEnv, thresholds } from './lib/routes.ts';
import { summaryHandler } from './lib/summary.ts';

const base = numberFromEnv('RATE', 5);
const peak = numberFromEnv('SPIKE_RATE', 40);
const hold = numberFromEnv('SPIKE_SECONDS', 90);

export const options: Options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: base,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: 300,
      stages: [
        { target: base, duration: '30s' },
        { target: peak, duration: '10s' },
        { target: peak, duration: `${hold}s` },
        { target: base, duration: '10s' },
        { target: base, duration: '60s' },
      ],
    },
  },
  // A spike may slow the service: judge latency, but do not abort the run on it.
  thresholds: thresholds(false),
};

export default hitRandomRoute;
export const handleSummary = summaryHandler('spike');
