import { describe, expect, it } from 'vitest';
import { describeFault, faultPlan, PARTS, SIGNALS } from './plan.ts';

describe('the fault plan', () => {
  it('hits every part with each signal once while firing and once while resolving', () => {
    const plan = faultPlan(4);
    const faults = plan.flat().flatMap((incident) => [incident.whileFiring, incident.whileResolving]);
    expect(faults).toHaveLength(PARTS.length * SIGNALS.length * 2);
    expect(new Set(faults.map(describeFault)).size).toBe(faults.length);
    for (const incident of plan.flat()) {
      expect(incident.whileFiring.phase).toBe('firing');
      expect(incident.whileResolving.phase).toBe('resolution');
      expect(incident.whileResolving.part).not.toBe(incident.whileFiring.part);
    }
    expect(plan.map((incidents) => incidents.length)).toEqual([3, 3, 3, 3]);
  });
});
