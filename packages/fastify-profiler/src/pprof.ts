// The profiles in pprof's format (a gzipped protocol buffer), for `go tool pprof`, Pyroscope and the
// other tools that read it; encoded by pprof-format, the encoder Datadog's and Google's Node
// profilers use.
import { gzipSync } from 'node:zlib';
import { Profile, StringTable } from 'pprof-format';
import type { CallFrame, CpuProfile, HeapProfile, HeapProfileNode } from './capture.ts';
import { busySamples, location } from './summary.ts';

/** Functions and locations of one profile: a function per name, script and line; a location per call-tree node. */
class Symbols {
  readonly strings = new StringTable();
  readonly functions: {
    id: number;
    name: number;
    systemName: number;
    filename: number;
    startLine: number;
  }[] = [];
  readonly locations: { id: number; line: { functionId: number; line: number }[] }[] = [];
  readonly #functionIds = new Map<string, number>();
  readonly #locationIds = new Set<number>();

  readonly cwd: string;

  constructor(cwd: string) {
    this.cwd = cwd;
  }

  location(nodeId: number, frame: CallFrame): number {
    if (this.#locationIds.has(nodeId)) return nodeId;
    this.#locationIds.add(nodeId);
    const { function: name, file, line } = location(frame, this.cwd);
    const key = `${name}\n${file}\n${line}`;
    let functionId = this.#functionIds.get(key);
    if (functionId === undefined) {
      functionId = this.functions.length + 1;
      const nameId = this.strings.dedup(name);
      this.functions.push({
        id: functionId,
        name: nameId,
        systemName: nameId,
        filename: this.strings.dedup(file),
        startLine: line,
      });
      this.#functionIds.set(key, functionId);
    }
    this.locations.push({ id: nodeId, line: [{ functionId, line }] });
    return nodeId;
  }
}

/**
 * A CPU profile as pprof: each busy sample's stack (leaf first) with its count and its CPU time in
 * nanoseconds, the same samples topCpuFunctions counts.
 */
export function cpuProfileToPprof(profile: CpuProfile, cwd = process.cwd()): Buffer {
  const symbols = new Symbols(cwd);
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const stacks = new Map<number, number[]>();
  const stackOf = (leaf: number): number[] => {
    let stack = stacks.get(leaf);
    if (!stack) {
      stack = [];
      for (let id: number | undefined = leaf; id !== undefined; id = parents.get(id)) {
        const node = nodes.get(id);
        if (node && node.callFrame.functionName !== '(root)')
          stack.push(symbols.location(id, node.callFrame));
      }
      stacks.set(leaf, stack);
    }
    return stack;
  };
  // One sample per leaf node, its samples summed: the stack is the node's path to the root.
  const totals = new Map<number, { count: number; nanos: number }>();
  for (const { nodeId, micros } of busySamples(profile)) {
    const total = totals.get(nodeId) ?? { count: 0, nanos: 0 };
    total.count += 1;
    total.nanos += micros * 1000;
    totals.set(nodeId, total);
  }
  const sample = [...totals].map(([nodeId, { count, nanos }]) => ({
    locationId: stackOf(nodeId),
    value: [count, nanos],
  }));
  const cpuType = { type: symbols.strings.dedup('cpu'), unit: symbols.strings.dedup('nanoseconds') };
  const encoded = new Profile({
    sampleType: [{ type: symbols.strings.dedup('samples'), unit: symbols.strings.dedup('count') }, cpuType],
    sample,
    location: symbols.locations,
    function: symbols.functions,
    stringTable: symbols.strings,
    durationNanos: (profile.endTime - profile.startTime) * 1000,
    periodType: cpuType,
    period:
      profile.samples.length > 0
        ? Math.round(((profile.endTime - profile.startTime) * 1000) / profile.samples.length)
        : 0,
  }).encode();
  return gzipSync(encoded);
}

/** A sampling heap profile as pprof: the bytes still alive that each stack allocated ("space"). */
export function heapProfileToPprof(profile: HeapProfile, cwd = process.cwd()): Buffer {
  const symbols = new Symbols(cwd);
  const sample: { locationId: number[]; value: number[] }[] = [];
  const visit = (node: HeapProfileNode, stack: number[]) => {
    const here =
      node.callFrame.functionName === '(root)'
        ? stack
        : [symbols.location(node.id, node.callFrame), ...stack];
    if (node.selfSize > 0 && here.length > 0) sample.push({ locationId: here, value: [node.selfSize] });
    for (const child of node.children) visit(child, here);
  };
  visit(profile.head, []);
  const encoded = new Profile({
    sampleType: [{ type: symbols.strings.dedup('space'), unit: symbols.strings.dedup('bytes') }],
    sample,
    location: symbols.locations,
    function: symbols.functions,
    stringTable: symbols.strings,
  }).encode();
  return gzipSync(encoded);
}
