import { appendFileSync, mkdirSync } from 'node:fs';
import { repoPath } from '../harness/paths.ts';

/** Prints a measured figure and keeps it in e2e/results/last-run.txt for the closing summary. */
export function reportFigure(line: string): void {
  process.stdout.write(`measured: ${line}\n`);
  mkdirSync(repoPath('e2e/results'), { recursive: true });
  appendFileSync(repoPath('e2e/results/last-run.txt'), `${new Date().toISOString()} ${line}\n`);
}
