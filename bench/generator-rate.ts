import { once } from 'node:events';
import { createServer } from 'node:http';
import { generate } from '../services/request-generator/src/generator.ts';
import { parseArguments } from '../services/request-generator/src/options.ts';

export interface RateRow {
  targetRate: number;
  achievedRate: number;
  errorPercent: number;
  sent: number;
  cpuMsPer1000: number;
  p99Ms: number;
}

/**
 * The generator against a trivial HTTP server (so the server is never the limit): does it hold its
 * target rate, and what does it cost in CPU per 1,000 requests?
 */
export async function measureGeneratorRates(rates: readonly number[], seconds: number): Promise<RateRow[]> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
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
      ]);
      if (parsed.help) throw new Error('unexpected --help');
      const cpuBefore = process.cpuUsage();
      const summary = await generate(parsed.options);
      const cpu = process.cpuUsage(cpuBefore);
      rows.push({
        targetRate: rate,
        achievedRate: summary.achievedRate,
        errorPercent: ((summary.achievedRate - rate) / rate) * 100,
        sent: summary.sent,
        // The generator and this trivial server share the process: the server's part is small.
        cpuMsPer1000: ((cpu.user + cpu.system) / 1000 / Math.max(summary.sent, 1)) * 1000,
        p99Ms: summary.latencyMs.p99,
      });
    }
  } finally {
    server.close();
  }
  return rows;
}
