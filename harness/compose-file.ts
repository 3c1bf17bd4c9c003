import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from './paths.ts';

/**
 * The flags a service's `command` in docker-compose.yml gives, less those that name container paths,
 * addresses and peers (`localFlags`, which the local stack sets for itself): so that the local stack
 * runs Prometheus and Alertmanager with exactly the behaviour Compose gives them.
 */
export function composeServiceFlags(service: string, localFlags: readonly string[]): string[] {
  const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[] }>;
  };
  return (compose.services[service]?.command ?? []).filter(
    (flag) => flag.startsWith('--') && !localFlags.some((name) => flag.startsWith(`${name}=`)),
  );
}
