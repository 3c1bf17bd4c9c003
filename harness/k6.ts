import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServiceEnvironment } from './compose-file.ts';
import { run } from './exec.ts';
import { repoPath } from './paths.ts';

export interface K6Run {
  exitCode: number;
  output: string;
  /** k6's end-of-test data (handleSummary's SUMMARY_JSON). */
  summary: {
    metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  };
}

/** Runs one script of k6/ with the real k6 binary; with `prometheusUrl`, results go there by remote write. */
export async function runK6(
  k6: string,
  script: string,
  options: { baseUrl: string; env?: Record<string, string>; prometheusUrl?: string; timeoutMs?: number },
): Promise<K6Run> {
  const dir = await mkdtemp(join(tmpdir(), 'k6-'));
  const summaryFile = join(dir, 'summary.json');
  const args = [
    'run',
    '--quiet',
    '--no-color',
    '-e',
    `BASE_URL=${options.baseUrl}`,
    '-e',
    `SUMMARY_JSON=${summaryFile}`,
  ];
  for (const [name, value] of Object.entries(options.env ?? {})) args.push('-e', `${name}=${value}`);
  if (options.prometheusUrl) args.push('-o', 'experimental-prometheus-rw');
  args.push(repoPath(`k6/${script}`));
  const result = await run(k6, args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      K6_NO_USAGE_REPORT: 'true',
      ...(options.prometheusUrl
        ? {
            // The output's settings are the compose k6 service's; only the address is local.
            ...composeServiceEnvironment('k6', 'K6_PROMETHEUS_RW_'),
            K6_PROMETHEUS_RW_SERVER_URL: `${options.prometheusUrl}/api/v1/write`,
          }
        : {}),
    },
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  const summary = JSON.parse(
    await readFile(summaryFile, 'utf8').catch(() => '{"metrics":{}}'),
  ) as K6Run['summary'];
  return { exitCode: result.code, output: result.stdout + result.stderr, summary };
}
