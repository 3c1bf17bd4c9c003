#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { generate } from './generator.ts';
import { HELP, parseArguments, UsageError } from './options.ts';
import { EXIT, formatSummary } from './report.ts';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArguments>;
  try {
    parsed = parseArguments(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`request-generator: ${error.message}\nRun with --help for the flags.\n`);
      return EXIT.usage;
    }
    throw error;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const { options } = parsed;
  if (parsed.checkOnly) {
    process.stdout.write('request-generator: configuration ok\n');
    return EXIT.ok;
  }
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`request-generator: ${signal}, stopping after in-flight requests\n`);
      stop.abort();
    });
  }
  const duration = options.durationSeconds > 0 ? `${options.durationSeconds}s` : 'until stopped';
  process.stdout.write(
    `request-generator: ${options.scenario} at ${options.rate}/s against ${options.target.href}, ${duration}\n`,
  );
  const heartbeat = options.heartbeatFile ? startHeartbeat(options.heartbeatFile) : undefined;
  const summary = await generate(options, {
    signal: stop.signal,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  clearInterval(heartbeat);
  process.stdout.write(`${options.json ? JSON.stringify(summary) : formatSummary(summary)}\n`);
  return summary.exitCode;
}

/** Proves the event loop is turning: the container healthcheck reads the time back. */
function startHeartbeat(path: string): NodeJS.Timeout {
  const beat = () => writeFileSync(path, String(Date.now()));
  beat();
  const timer = setInterval(beat, 5000);
  timer.unref();
  return timer;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`request-generator: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT.internal;
  },
);
