// What a profile says in one line each: the functions that took the most CPU themselves (self time,
// not counting what they called), or that allocated the most of what is still alive.
import type { CallFrame, CpuProfile, HeapProfile, HeapProfileNode } from './capture.ts';

export interface TopFunction {
  /** The function's name, or "(anonymous)". */
  function: string;
  /** Where it is: the script's path (file:// and the working directory removed), or "" for V8's own. */
  file: string;
  /** Its line, counting from 1 as editors do; 0 when V8 gives none. */
  line: number;
  /** Its share of the profile: of the busy CPU samples, or of the live sampled bytes. */
  ratio: number;
  /** Microseconds of CPU, or bytes still alive. */
  amount: number;
}

/** V8's pseudo-frames for time no JavaScript ran: not a function of the service. */
const NOT_BUSY = new Set(['(idle)', '(program)', '(root)']);

/** A frame's function, file (relative to `cwd`) and line from 1: how the summaries and pprof name it. */
export function location(frame: CallFrame, cwd: string): Pick<TopFunction, 'function' | 'file' | 'line'> {
  let file = frame.url.replace(/^file:\/\//, '');
  if (cwd && file.startsWith(`${cwd}/`)) file = file.slice(cwd.length + 1);
  return {
    function: frame.functionName || '(anonymous)',
    file,
    line: frame.url ? frame.lineNumber + 1 : 0,
  };
}

function ranked(amounts: Map<string, TopFunction>, total: number, count: number): TopFunction[] {
  return [...amounts.values()]
    .map((entry) => ({ ...entry, ratio: total > 0 ? entry.amount / total : 0 }))
    .sort((a, b) => b.amount - a.amount || a.function.localeCompare(b.function))
    .slice(0, count);
}

function add(amounts: Map<string, TopFunction>, frame: CallFrame, amount: number, cwd: string): void {
  const where = location(frame, cwd);
  const key = `${where.function}\n${where.file}\n${where.line}`;
  const entry = amounts.get(key) ?? { ...where, ratio: 0, amount: 0 };
  entry.amount += amount;
  amounts.set(key, entry);
}

/**
 * The samples that stand for time the process was busy, each with its node and the microseconds it
 * stands for (the time to the next sample, as DevTools counts it). V8's (idle), (program) and (root)
 * are left out: no function of the service ran.
 */
export function busySamples(profile: CpuProfile): { nodeId: number; frame: CallFrame; micros: number }[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const busy: { nodeId: number; frame: CallFrame; micros: number }[] = [];
  profile.samples.forEach((nodeId, i) => {
    const frame = frames.get(nodeId);
    const micros = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    if (frame && !NOT_BUSY.has(frame.functionName) && micros > 0) busy.push({ nodeId, frame, micros });
  });
  return busy;
}

/**
 * The `count` functions with the most self time in a CPU profile, their share of the busy samples
 * (garbage collection counts as busy: it is time the service spent; idle time does not).
 */
export function topCpuFunctions(profile: CpuProfile, count = 5, cwd = process.cwd()): TopFunction[] {
  const amounts = new Map<string, TopFunction>();
  let busy = 0;
  for (const { frame, micros } of busySamples(profile)) {
    busy += micros;
    add(amounts, frame, micros, cwd);
  }
  return ranked(amounts, busy, count);
}

/**
 * The `count` functions that allocated the most bytes still alive in a sampling heap profile. What
 * V8's built-ins allocate (String.prototype.repeat, Array.prototype.push, ...; frames with no
 * script) counts for the nearest JavaScript function that called them: the code that keeps it.
 */
export function topHeapFunctions(profile: HeapProfile, count = 5, cwd = process.cwd()): TopFunction[] {
  const amounts = new Map<string, TopFunction>();
  let total = 0;
  const visit = (node: HeapProfileNode, owner: CallFrame | undefined) => {
    const frame = node.callFrame.url ? node.callFrame : (owner ?? node.callFrame);
    if (node.selfSize > 0 && !NOT_BUSY.has(frame.functionName)) {
      total += node.selfSize;
      add(amounts, frame, node.selfSize, cwd);
    }
    for (const child of node.children) visit(child, node.callFrame.url ? node.callFrame : owner);
  };
  visit(profile.head, undefined);
  return ranked(amounts, total, count);
}

/** "87% checksum (src/routes/reports.ts:42)", one function a line. */
export function describeTop(functions: readonly TopFunction[]): string[] {
  return functions.map(
    (f) => `${Math.round(f.ratio * 100)}% ${f.function}${f.file ? ` (${f.file}:${f.line})` : ''}`,
  );
}
