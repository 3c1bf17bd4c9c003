import { describe, expect, it } from 'vitest';
import { generate } from '../src/generator.ts';
import { parseArguments } from '../src/options.ts';
import { formatSummary } from '../src/report.ts';
import type { Send } from '../src/runner.ts';
import { FakeClock } from './fake-clock.ts';

function options(args: string[]) {
  const parsed = parseArguments(['--target', 'http://127.0.0.1:9', '--seed', '3', ...args]);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
}

describe('generate', () => {
  it('reports its own CPU time in all and per 1,000 requests sent', async () => {
    const readings = [2_000_000, 2_750_000]; // µs: 750 ms of CPU over the run
    const send: Send = async () => ({ kind: 'response', status: 200 });
    const summary = await generate(options(['--rate', '100', '--duration', '10', '--report-every', '0']), {
      clock: new FakeClock(),
      send,
      cpuMicros: () => readings.shift() ?? Number.NaN,
    });
    expect(summary.sent).toBe(1000);
    expect(summary.cpu).toEqual({ totalMs: 750, msPer1000Requests: 750 });
    expect(formatSummary(summary)).toContain('generator CPU: 750.0 ms per 1,000 requests (0.75 s in all)');
  });

  it('reports zero per 1,000 requests when nothing was sent', async () => {
    const summary = await generate(options(['--rate', '1', '--duration', '0.001', '--report-every', '0']), {
      clock: new FakeClock(),
      send: async () => ({ kind: 'response', status: 200 }),
      cpuMicros: () => 1000,
    });
    expect(summary.sent).toBe(0);
    expect(summary.cpu.msPer1000Requests).toBe(0);
  });
});
