import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const IN_CI = process.env.CI === 'true';

/**
 * Finds an external binary: `envVar` if set, else `names` on PATH. Under CI=true a missing tool is
 * an error (the suite must never silently skip there); elsewhere the caller skips with a reason.
 */
export function findTool(envVar: string, ...names: string[]): string | undefined {
  const explicit = process.env[envVar];
  if (explicit) return explicit;
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {}
    }
  }
  if (IN_CI) {
    throw new Error(`${names.join(' or ')} not found on PATH (or ${envVar}); CI must install it (.ci/run)`);
  }
  process.stderr.write(`skipping: ${names.join(' or ')} not found (set ${envVar} or install it)\n`);
  return undefined;
}
