import { appendFileSync, mkdirSync } from 'node:fs';
import { repoPath } from '@fos/repo/paths';

/** Prints a measured figure and keeps it in test/results/last-run.txt for the closing summary. */
export function reportFigure(line: string): void {
  process.stdout.write(`measured: ${line}\n`);
  mkdirSync(repoPath('test/results'), { recursive: true });
  appendFileSync(repoPath('test/results/last-run.txt'), `${new Date().toISOString()} ${line}\n`);
}
