import type { Attributes, Context } from '@opentelemetry/api';
import {
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';

/**
 * Which of the traces that start here are kept: the share `ratio`, and at most `maxPerSecond` of
 * them (a token bucket holding one second's worth). A ratio alone makes the cost of tracing grow
 * with the traffic (bench/README.md: 10% of a busy route's requests cost a fifth of its
 * throughput); the cap bounds it while a quiet service keeps every trace. OpenTelemetry's JS SDK
 * has no rate-limiting sampler (Jaeger's and Zipkin's clients had one), hence this one. The clock
 * and the random source are injected so that tests are exact.
 */
export class TraceAdmission {
  readonly ratio: number;
  readonly maxPerSecond: number;
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #tokens: number;
  #last: number;

  constructor(
    ratio: number,
    maxPerSecond: number,
    now: () => number = performance.now.bind(performance),
    random: () => number = Math.random,
  ) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`ratio must be from 0 to 1, got ${ratio}`);
    if (!(maxPerSecond > 0)) throw new RangeError(`maxPerSecond must be > 0, got ${maxPerSecond}`);
    this.ratio = ratio;
    this.maxPerSecond = maxPerSecond;
    this.#perMs = maxPerSecond / 1000;
    this.#capacity = Math.max(1, maxPerSecond);
    this.#now = now;
    this.#random = random;
    this.#tokens = this.#capacity;
    this.#last = now();
  }

  /** Whether a trace starting now is kept; a kept one spends a token. */
  admit(): boolean {
    if (this.ratio < 1 && !(this.#random() < this.ratio)) return false;
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** The SDK's sampler for the root spans of a TraceAdmission: kept, or not recorded at all. */
export class AdmissionSampler implements Sampler {
  readonly #admission: TraceAdmission;
  readonly #admitted: (attributes: Attributes) => boolean;

  /** `admitted`: spans whose trace was admitted already (a request the gate let through). */
  constructor(admission: TraceAdmission, admitted: (attributes: Attributes) => boolean = () => false) {
    this.#admission = admission;
    this.#admitted = admitted;
  }

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: unknown,
    attributes: Attributes,
  ): SamplingResult {
    const kept = this.#admitted(attributes) || this.#admission.admit();
    return { decision: kept ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `AdmissionSampler{ratio ${this.#admission.ratio}, at most ${this.#admission.maxPerSecond}/s}`;
  }
}

/** Where a trace starts, the admission decides; a span with a parent follows the parent. */
export function traceSampler(
  admission: TraceAdmission,
  admitted?: (attributes: Attributes) => boolean,
): Sampler {
  return new ParentBasedSampler({ root: new AdmissionSampler(admission, admitted) });
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-|$)/;

/**
 * Whether a request is traced, from its W3C `traceparent` header: a valid one carries the
 * decision of where its trace started (the sampled flag); without one (or with one the
 * propagator would refuse) its trace starts here and the admission decides.
 */
export function requestTraced(
  traceparent: string | string[] | undefined,
  admission: TraceAdmission,
): boolean {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (match && match[1] !== 'ff' && !/^0+$/.test(match[2] as string) && !/^0+$/.test(match[3] as string))
    return (Number.parseInt(match[4] as string, 16) & 1) === 1;
  return admission.admit();
}
