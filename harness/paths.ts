import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const REPO = fileURLToPath(new URL('../', import.meta.url));

export function repoPath(relative: string): string {
  return `${REPO}${relative}`;
}
