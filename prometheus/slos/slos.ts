// The SLO rules: each spec of prometheus/slos through the pinned Sloth, into prometheus/rules/slo-<name>.yml.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { repoPath } from '@fos/repo/paths';
import { run } from '@fos/stack/exec';
import { parse, stringify } from 'yaml';

interface RuleGroup {
  name: string;
  rules: unknown[];
}

/**
 * Sloth writes three groups per SLO: the SLI records, the metadata records (burn rate, budget left)
 * and the alerts. Groups evaluate apart, so on a fresh stack an alert could fire before the records
 * its annotations read existed, and its first email said nothing of the burn rate or the budget
 * (Prometheus resends an alert only each minute). In one group the rules run in order at every
 * evaluation: the alert reads what was just recorded. One group for all of a service's SLOs, not one
 * each: they record the same names (slo:sli_error:ratio_rate5m, ...) told apart by sloth_id, which a
 * linter reading names (pint's rule/dependency) cannot tell from one SLO reading another's records.
 */
export function oneGroupPerService(slothOutput: string, service: string): string {
  const header = slothOutput.slice(0, slothOutput.indexOf('groups:'));
  const { groups } = parse(slothOutput) as { groups: RuleGroup[] };
  const merged: RuleGroup = { name: `sloth-slo-${service}`, rules: groups.flatMap((group) => group.rules) };
  return header + stringify({ groups: [merged] }, { lineWidth: 0 });
}

/** The spec files, by name: prometheus/slos/<name>.yml. */
export function sloSpecs(dir = repoPath('prometheus/slos')): string[] {
  return readdirSync(dir).filter((file) => /\.ya?ml$/.test(file));
}

/**
 * What `sloth generate` makes of each spec in `dir`, by the repository path of its rules file.
 * Throws naming the spec Sloth refuses, with Sloth's reason.
 */
export async function generateSloRules(
  sloth: string,
  dir = repoPath('prometheus/slos'),
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const spec of sloSpecs(dir)) {
    const result = await run(sloth, ['generate', '--input', `${dir}/${spec}`]);
    if (result.code !== 0) {
      const reason = result.stderr
        .split('\n')
        .filter((line) => line !== '' && !line.includes('INFO:'))
        .join('\n');
      throw new Error(`Sloth refused prometheus/slos/${spec}: ${reason}`);
    }
    const { service } = parse(await readFile(`${dir}/${spec}`, 'utf8')) as { service: string };
    files[`prometheus/rules/slo-${spec.replace(/\.ya?ml$/, '')}.yml`] =
      `# From prometheus/slos/${spec} by make slos: Sloth's rules, all in one group.\n${oneGroupPerService(result.stdout, service)}`;
  }
  return files;
}
