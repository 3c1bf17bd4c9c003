import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a started process keeps its files: `parent/name` when its owner gives a parent (the owner
 * removes that), else a temp dir of its own, removed by `remove()`. Nothing is left behind either way.
 */
export interface WorkDir {
  path: string;
  remove(): Promise<void>;
}

export async function workDir(name: string, parent?: string): Promise<WorkDir> {
  if (parent) {
    const path = join(parent, name);
    await mkdir(path, { recursive: true });
    return { path, remove: async () => {} };
  }
  const path = await mkdtemp(join(tmpdir(), `${name}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Starts a process that keeps its files in `dir`; if it does not start, removes them and rethrows. */
export async function startInDir<T extends { start(): Promise<void> }>(process: T, dir: WorkDir): Promise<T> {
  try {
    await process.start();
  } catch (error) {
    await dir.remove();
    throw error;
  }
  return process;
}
