// Writes deploy/kubernetes/generated/ from prometheus/rules, alertmanager/alertmanager.yml and the
// alert templates, or with --check fails when a committed file differs from what they generate.
// Usage: node deploy/kubernetes/generate.ts [--check]   (GRAFANA_URL: where alert links point)
import { syncGenerated } from '@fos/repo/generated';
import { generatedFiles } from './manifests.ts';

const stale = await syncGenerated(generatedFiles(), process.argv.includes('--check'), 'make k8s-manifests');
process.exitCode = stale > 0 ? 1 : 0;
