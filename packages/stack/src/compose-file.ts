import { readYaml } from '@fos/repo/paths';

/**
 * The flags a service's `command` in docker-compose.yml gives, less those that name container paths,
 * addresses and peers (`localFlags`, which the local stack sets for itself): so that the local stack
 * runs Prometheus and Alertmanager with exactly the behaviour Compose gives them.
 */
export function composeServiceFlags(service: string, localFlags: readonly string[]): string[] {
  return (composeService(service).command ?? []).filter(
    (flag) => flag.startsWith('--') && !localFlags.some((name) => flag.startsWith(`${name}=`)),
  );
}

/** A service's `command` in docker-compose.yml, as written (variables not substituted). */
export function composeServiceCommand(service: string): string[] {
  return composeService(service).command ?? [];
}

/** The variables a service's `environment` in docker-compose.yml sets whose names start with `prefix`. */
export function composeServiceEnvironment(service: string, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(composeService(service).environment ?? {})
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, value]) => [name, String(value)]),
  );
}

interface ComposeService {
  command?: string[];
  // Our compose file writes every environment as a map, never the `- NAME=value` list form.
  environment?: Record<string, string | number | boolean>;
}

function composeService(service: string): ComposeService {
  return readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml').services[service] ?? {};
}
