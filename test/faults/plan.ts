// Which faults the suite injects, and how they are spread over stacks that run side by side.

export const PARTS = [
  'webapp',
  'prometheus',
  'alertmanager-1',
  'alertmanager-2',
  'maildev',
  'generator',
] as const;
export type Part = (typeof PARTS)[number];
export const SIGNALS = ['SIGTERM', 'SIGKILL'] as const;
export type FaultSignal = (typeof SIGNALS)[number];
export type Phase = 'firing' | 'resolution';

export interface Fault {
  part: Part;
  signal: FaultSignal;
  phase: Phase;
}

/** One incident (a webapp down, then up again) with a fault while it fires and one while it resolves. */
export interface Incident {
  whileFiring: Fault;
  whileResolving: Fault;
}

export const describeFault = (fault: Fault) =>
  `${fault.part} ${fault.signal} while ${fault.phase === 'firing' ? 'firing' : 'resolving'}`;

/**
 * Every part, with each signal, once while an alert fires and once while it resolves (24 faults),
 * paired into 12 incidents (a resolving fault never hits the part that the same incident's firing
 * fault hit) and dealt round-robin to `stacks` stacks.
 */
export function faultPlan(stacks: number): Incident[][] {
  const faults = (phase: Phase): Fault[] =>
    PARTS.flatMap((part) => SIGNALS.map((signal) => ({ part, signal, phase })));
  const firing = faults('firing');
  const resolving = faults('resolution');
  // Shift by one part (two entries): each incident's two faults hit different parts.
  const incidents = firing.map((whileFiring, i) => ({
    whileFiring,
    whileResolving: resolving[(i + SIGNALS.length) % resolving.length] as Fault,
  }));
  const plan: Incident[][] = Array.from({ length: stacks }, () => []);
  for (const [i, incident] of incidents.entries()) plan[i % stacks]?.push(incident);
  return plan;
}
