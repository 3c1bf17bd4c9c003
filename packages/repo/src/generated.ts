// The one way generated files are written or checked: grafana/src/generate.ts (dashboards, runbook
// templates) and deploy/kubernetes/generate.ts (the Kubernetes objects made from the stack's sources).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { repoPath } from './paths.ts';

/**
 * Writes each repository path's content when it changed, or with `check` writes nothing and reports
 * each stale one, naming `remedy` (the make target that regenerates it). Returns how many were stale.
 */
export async function syncGenerated(
  files: Record<string, string>,
  check: boolean,
  remedy: string,
): Promise<number> {
  let stale = 0;
  for (const [path, content] of Object.entries(files)) {
    const target = repoPath(path);
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${path} is out of date: run ${remedy}\n`);
      stale++;
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale;
}
