/** A route's simulated work time: log-normal, set by its median and 95th percentile. */
export interface LatencyProfile {
  medianMs: number;
  p95Ms: number;
}

export type RandomSource = () => number;

const MAX_LATENCY_MS = 60_000;
const Z_95 = 1.6448536269514722;

/** Parses "<median_ms>:<p95_ms>", e.g. "300:800". */
export function parseLatencyProfile(text: string): LatencyProfile {
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  const medianMs = Number(match?.[1]);
  const p95Ms = Number(match?.[2]);
  if (!match || !(medianMs > 0) || !(p95Ms >= medianMs) || p95Ms > MAX_LATENCY_MS) {
    throw new Error(
      `must be "<median_ms>:<p95_ms>" with 0 < median <= p95 <= ${MAX_LATENCY_MS} (e.g. "300:800"), got "${text}"`,
    );
  }
  return { medianMs, p95Ms };
}

/** Draws one latency in ms (Box-Muller on two uniform draws), capped to keep requests bounded. */
export function sampleLatencyMs(profile: LatencyProfile, random: RandomSource): number {
  const sigma = Math.log(profile.p95Ms / profile.medianMs) / Z_95;
  const u1 = Math.max(random(), Number.EPSILON);
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(profile.medianMs * Math.exp(sigma * z), MAX_LATENCY_MS);
}
