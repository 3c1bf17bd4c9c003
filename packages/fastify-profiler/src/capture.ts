// Profiles of this process, taken through node:inspector (what Chrome DevTools and `node --cpu-prof`
// use): a CPU profile, or a sampling heap profile (never a heap snapshot, which stops the process).
// Nothing runs between captures: the inspector session exists only while one is taken.
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type ProfileType = 'cpu' | 'heap';

/** A frame as the inspector names it; lineNumber and columnNumber count from 0. */
export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** Chrome DevTools' .cpuprofile: a call tree, and which node was on the CPU at each sample. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Chrome DevTools' .heapprofile: the allocation tree of the sampled objects still alive at its end. */
export interface HeapProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: HeapProfileNode[];
}
export interface HeapProfile {
  head: HeapProfileNode;
  samples?: { size: number; nodeId: number; ordinal: number }[];
}

/** Another capture is running in this process: one at a time. */
export class ProfilerBusyError extends Error {
  constructor(running: ProfileType) {
    super(`a ${running} profile is being taken; one capture at a time`);
  }
}

/** The caller went away (its signal aborted): the capture stopped and its profile was dropped. */
export class CaptureAbortedError extends Error {
  constructor() {
    super('capture aborted: its caller went away');
  }
}

let running: ProfileType | undefined;

/** What is being captured in this process right now, if anything. */
export function captureRunning(): ProfileType | undefined {
  return running;
}

async function capture<T>(
  type: ProfileType,
  seconds: number,
  signal: AbortSignal | undefined,
  start: (session: Session) => Promise<void>,
  stop: (session: Session) => Promise<T>,
): Promise<T> {
  if (running) throw new ProfilerBusyError(running);
  if (signal?.aborted) throw new CaptureAbortedError();
  running = type;
  const session = new Session();
  session.connect();
  try {
    await start(session);
    // Until the duration is up or the caller is gone, whichever is first; the profile is stopped
    // either way, so a capture never outlives its bound.
    await sleep(seconds * 1000, undefined, { signal }).catch(() => {});
    const profile = await stop(session);
    if (signal?.aborted) throw new CaptureAbortedError();
    return profile;
  } finally {
    session.disconnect();
    running = undefined;
  }
}

/** A CPU profile of this process over `seconds` (sampled every `intervalMicros`, default 1 ms). */
export function captureCpuProfile(
  seconds: number,
  options: { signal?: AbortSignal; intervalMicros?: number } = {},
): Promise<CpuProfile> {
  return capture(
    'cpu',
    seconds,
    options.signal,
    async (session) => {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: options.intervalMicros ?? 1000 });
      await session.post('Profiler.start');
    },
    async (session) => {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      return profile as CpuProfile;
    },
  );
}

/**
 * A sampling heap profile over `seconds`: an allocation every `samplingIntervalBytes` on average
 * (default 32 KiB, V8's) is sampled with its stack, and the profile keeps those still alive at its
 * end, so the functions that allocated what is retained.
 */
export function captureHeapProfile(
  seconds: number,
  options: { signal?: AbortSignal; samplingIntervalBytes?: number } = {},
): Promise<HeapProfile> {
  return capture(
    'heap',
    seconds,
    options.signal,
    async (session) => {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: options.samplingIntervalBytes ?? 32 * 1024,
      });
    },
    async (session) => {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      await session.post('HeapProfiler.disable');
      return profile as HeapProfile;
    },
  );
}
