// Writes the generated files (grafana/dashboards/*.json, alertmanager/templates/runbooks.tmpl), or
// with --check fails when a committed one differs from what the code generates.
// Usage: node grafana/src/generate.ts [--check]
import { readFile, writeFile } from 'node:fs/promises';
import { generatedFiles } from './dashboards.ts';

const repo = new URL('../../', import.meta.url);
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, content] of Object.entries(generatedFiles())) {
  const target = new URL(path, repo);
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === content) continue;
  if (check) {
    process.stderr.write(`${path} is out of date: run make dashboards\n`);
    stale++;
  } else {
    await writeFile(target, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
