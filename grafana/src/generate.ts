// Writes the dashboards to grafana/dashboards/, or with --check fails when the committed JSON
// differs from what the code generates. Usage: node grafana/src/generate.ts [--check]
import { readFile, writeFile } from 'node:fs/promises';
import { allDashboards, serialise } from './dashboards.ts';

const outDir = new URL('../dashboards/', import.meta.url);
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, dashboard] of Object.entries(allDashboards())) {
  const target = new URL(file, outDir);
  const json = serialise(dashboard);
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === json) continue;
  if (check) {
    process.stderr.write(`grafana/dashboards/${file} is out of date: run make dashboards\n`);
    stale++;
  } else {
    await writeFile(target, json);
    process.stdout.write(`wrote grafana/dashboards/${file}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
