// Writes the generated files (grafana/dashboards/*.json, alertmanager/templates/runbooks.tmpl), or
// with --check fails when a committed one differs from what the code generates.
// Usage: node grafana/src/generate.ts [--check]
import { syncGenerated } from '@fos/repo/generated';
import { generatedFiles } from './dashboards.ts';

const stale = await syncGenerated(generatedFiles(), process.argv.includes('--check'), 'make dashboards');
process.exitCode = stale > 0 ? 1 : 0;
