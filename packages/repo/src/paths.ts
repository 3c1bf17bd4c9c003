import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root, with a trailing slash. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(relative: string): string {
  return `${REPO}${relative}`;
}

/** A YAML file of the repository, anchors and merge keys (`<<:`) resolved. */
export function readYaml<T>(relative: string): T {
  return parse(readFileSync(repoPath(relative), 'utf8'), { merge: true }) as T;
}
