import { generate } from '@fos/request-generator/generator';
import { parseArguments } from '@fos/request-generator/options';
import { ManagedProcess, waitFor } from '@fos/stack/process';

export interface RateRow {
  targetRate: number;
  achievedRate: number;
  errorPercent: number;
  sent: number;
  /** Arrivals dropped at the in-flight limit: none unless the server stalls for longer than it allows. */
  skipped: number;
  cpuMsPer1000: number;
  p99Ms: number;
}

const TRIVIAL_SERVER = `
const server = require('node:http').createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

/** BENCH_SERVER_CPU pins the target server to a core apart from the generator's. */
function trivialServer(): ManagedProcess {
  const cpu = process.env.BENCH_SERVER_CPU;
  const args = ['-e', TRIVIAL_SERVER];
  return cpu
    ? new ManagedProcess('trivial-server', 'taskset', ['-c', cpu, process.execPath, ...args])
    : new ManagedProcess('trivial-server', process.execPath, args);
}

/**
 * The generator against a trivial HTTP server in its own process (so the server is never the
 * limit): does it hold its target rate, and what does it cost in CPU per 1,000 requests?
 */
export async function measureGeneratorRates(rates: readonly number[], seconds: number): Promise<RateRow[]> {
  const server = trivialServer();
  const port = await waitFor('the trivial server', () => /port (\d+)/.exec(server.log)?.[1]);
  const rows: RateRow[] = [];
  try {
    for (const rate of rates) {
      const parsed = parseArguments([
        '--target',
        `http://127.0.0.1:${port}`,
        '--rate',
        String(rate),
        '--duration',
        String(seconds),
        '--weights',
        'ep_one=1',
        '--report-every',
        '0',
        '--seed',
        '1',
        // Room for 400 ms of server stall at 5,000/s: the default 256 (51 ms at that rate) turns the
        // co-located server's stalls into skipped arrivals, 1.1-1.6% in our runs (bench/README.md).
        '--max-in-flight',
        '2000',
      ]);
      if (parsed.help) throw new Error('unexpected --help');
      const summary = await generate(parsed.options);
      rows.push({
        targetRate: rate,
        achievedRate: summary.achievedRate,
        errorPercent: ((summary.achievedRate - rate) / rate) * 100,
        sent: summary.sent,
        skipped: summary.skipped,
        cpuMsPer1000: summary.cpu.msPer1000Requests,
        p99Ms: summary.latencyMs.p99,
      });
    }
  } finally {
    await server.stop();
  }
  return rows;
}
