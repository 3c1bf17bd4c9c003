import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { requestTraced, TraceAdmission, traceSampler } from '../src/sampler.ts';

/** How many of `count` admissions, one every `everyMs`, are let through. */
function admitted(admission: TraceAdmission, clock: { now: number }, count: number, everyMs: number) {
  let kept = 0;
  for (let i = 0; i < count; i++) {
    clock.now += everyMs;
    if (admission.admit()) kept++;
  }
  return kept;
}

describe('TraceAdmission', () => {
  it('keeps every trace under the cap, then the cap a second', () => {
    const clock = { now: 0 };
    const admission = new TraceAdmission(1, 10, () => clock.now);
    // A quiet second: 8 traces, all kept.
    expect(admitted(admission, clock, 8, 125)).toBe(8);
    // A busy second after it, 1,000 traces: the bucket's 10 and what refills while they come.
    const busy = admitted(admission, clock, 1000, 1);
    expect(busy).toBeGreaterThanOrEqual(10);
    expect(busy).toBeLessThanOrEqual(20);
    // Ten more seconds at that pace: 10 a second.
    const steady = admitted(admission, clock, 10_000, 1);
    expect(steady).toBeGreaterThanOrEqual(99);
    expect(steady).toBeLessThanOrEqual(101);
  });

  it('applies the ratio first and spends the cap only on what the ratio keeps', () => {
    const clock = { now: 0 };
    let draw = 0;
    // Draws 0.00, 0.01, ... 0.99 in turn: a ratio of 0.25 keeps exactly a quarter.
    const random = () => (draw++ % 100) / 100;
    const admission = new TraceAdmission(0.25, 1e9, () => clock.now, random);
    expect(admitted(admission, clock, 1000, 0)).toBe(250);
    expect(admitted(new TraceAdmission(0, 1e9, () => 0, random), clock, 100, 0)).toBe(0);
  });

  it('rejects a ratio outside 0..1 and a cap not above 0, naming them', () => {
    expect(() => new TraceAdmission(1.5, 10)).toThrow('ratio must be from 0 to 1, got 1.5');
    expect(() => new TraceAdmission(1, 0)).toThrow('maxPerSecond must be > 0, got 0');
  });
});

describe('traceSampler', () => {
  const decide = (sampler: ReturnType<typeof traceSampler>, context = ROOT_CONTEXT, attributes = {}) =>
    sampler.shouldSample(
      context,
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'request',
      SpanKind.SERVER,
      attributes,
      [],
    ).decision;

  it('admits roots by the admission, follows a parent past the cap, and keeps what was admitted already', () => {
    const admission = new TraceAdmission(1, 1, () => 0);
    const sampler = traceSampler(admission, (attributes) => attributes.admitted === true);
    expect(decide(sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    // The one token is spent.
    expect(decide(sampler)).toBe(SamplingDecision.NOT_RECORD);
    const parent = (flags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: flags,
        isRemote: true,
      });
    expect(decide(sampler, parent(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, parent(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, ROOT_CONTEXT, { admitted: true })).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});

describe('requestTraced', () => {
  const never = new TraceAdmission(0, 1);
  const always = new TraceAdmission(1, 1e9);

  it('follows the sampled flag of a valid traceparent, whatever the admission says', () => {
    expect(requestTraced('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', never)).toBe(true);
    expect(requestTraced('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', always)).toBe(false);
    // A later version may add fields after the flags.
    expect(requestTraced('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra', never)).toBe(true);
  });

  it.each([
    ['none', undefined],
    ['not hex', '00-xyz-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['a zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['a zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['repeated', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']],
  ])('starts the trace here, as the admission decides, when the traceparent is %s', (_, header) => {
    expect(requestTraced(header, never)).toBe(false);
    expect(requestTraced(header, always)).toBe(true);
  });
});
