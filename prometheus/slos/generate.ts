// Writes prometheus/rules/slo-<name>.yml from each SLO spec prometheus/slos/<name>.yml with the
// pinned Sloth, or with --check fails when a committed file differs from what the specs generate.
// Usage: node prometheus/slos/generate.ts [--check]   (make slos)
import { readdirSync, rmSync } from 'node:fs';
import { syncGenerated } from '@fos/repo/generated';
import { repoPath } from '@fos/repo/paths';
import { pinnedTool } from '@fos/stack/tools';
import { generateSloRules } from './slos.ts';

const check = process.argv.includes('--check');
const sloth = pinnedTool('sloth');
if (!sloth) {
  process.stderr.write('slos: no Sloth at the pinned version (scripts/ensure-tool.sh sloth)\n');
  process.exit(2);
}
let files: Record<string, string>;
try {
  files = await generateSloRules(sloth);
} catch (error) {
  process.stderr.write(`slos: ${(error as Error).message}\n`);
  process.exit(2);
}
let stale = await syncGenerated(files, check, 'make slos');
// A spec removed takes its rules with it.
for (const file of readdirSync(repoPath('prometheus/rules'))) {
  const path = `prometheus/rules/${file}`;
  if (!file.startsWith('slo-') || path in files) continue;
  if (check) {
    process.stderr.write(`${path} has no spec in prometheus/slos: run make slos\n`);
    stale++;
  } else {
    rmSync(repoPath(path));
    process.stdout.write(`removed ${path}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
