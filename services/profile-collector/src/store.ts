// Profiles on disk, bounded by count and bytes: past either bound the oldest go, and each one dropped
// is counted. A profile is its body (the DevTools JSON the profiler sent) and a record beside it; the
// record is written last, so that a profile half written when the process died is not listed, and is
// removed on the next start.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProfileType, TopFunction } from '@fos/fastify-profiler';

export interface ProfileRecord {
  id: string;
  type: ProfileType;
  job: string;
  instance: string;
  /** The alerts that asked for it. */
  alerts: string[];
  /** When the capture ended (RFC 3339). */
  capturedAt: string;
  seconds: number;
  /** The body's size. */
  bytes: number;
  /** The profiled process's working directory: its scripts are named relative to it. */
  workingDirectory: string;
  /** The functions by self time (CPU) or by live bytes allocated (heap), largest first. */
  top: TopFunction[];
}

/** Ids are made here and are the only names read back: a path parameter that is not one is a 404. */
export const PROFILE_ID = /^[0-9]{8}T[0-9]{6}Z-(cpu|heap)-[0-9a-f]{8}$/;

const RECORD = '.record.json';
const BODY = '.profile.json';

export type DropReason = 'oldest' | 'too_large';

export interface StoreBounds {
  maxProfiles: number;
  maxBytes: number;
}

export class ProfileStore {
  readonly #dir: string;
  readonly #bounds: StoreBounds;
  readonly #onDrop: (reason: DropReason) => void;
  /** Oldest first. */
  #records: ProfileRecord[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, bounds: StoreBounds, onDrop: (reason: DropReason) => void = () => {}) {
    this.#dir = dir;
    this.#bounds = bounds;
    this.#onDrop = onDrop;
  }

  /** Reads what an earlier run kept, removes what it left half written, and applies the bounds. */
  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const names = await readdir(this.#dir);
    const records: ProfileRecord[] = [];
    for (const name of names.filter((n) => n.endsWith(RECORD))) {
      try {
        const record = JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as ProfileRecord;
        if (PROFILE_ID.test(record.id) && names.includes(`${record.id}${BODY}`)) records.push(record);
        else await rm(join(this.#dir, name), { force: true });
      } catch {
        await rm(join(this.#dir, name), { force: true });
      }
    }
    const kept = new Set(records.map((r) => r.id));
    for (const name of names) {
      const id = name
        .replace(RECORD, '')
        .replace(BODY, '')
        .replace(/\.tmp$/, '');
      if (!kept.has(id)) await rm(join(this.#dir, name), { force: true });
    }
    this.#records = records.sort(
      (a, b) => a.capturedAt.localeCompare(b.capturedAt) || a.id.localeCompare(b.id),
    );
    await this.#applyBounds();
  }

  /** A new id for a profile of `type` captured at `at`. */
  static newId(type: ProfileType, at: Date): string {
    const stamp = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${type}-${randomBytes(4).toString('hex')}`;
  }

  /** Keeps a profile; false when it alone is larger than the store (it is dropped and counted). */
  add(record: Omit<ProfileRecord, 'bytes'>, body: Buffer): Promise<boolean> {
    // One at a time: two captures that end together would otherwise both count the other's bytes.
    const added = this.#queue.then(() => this.#add(record, body));
    this.#queue = added.catch(() => {});
    return added;
  }

  async #add(record: Omit<ProfileRecord, 'bytes'>, body: Buffer): Promise<boolean> {
    if (body.length > this.#bounds.maxBytes) {
      this.#onDrop('too_large');
      return false;
    }
    const full: ProfileRecord = { ...record, bytes: body.length };
    await this.#writeAtomically(`${record.id}${BODY}`, body);
    await this.#writeAtomically(`${record.id}${RECORD}`, JSON.stringify(full));
    this.#records.push(full);
    await this.#applyBounds();
    return true;
  }

  /** Newest first. */
  list(): ProfileRecord[] {
    return [...this.#records].reverse();
  }

  get(id: string): ProfileRecord | undefined {
    return this.#records.find((r) => r.id === id);
  }

  /** The body of a kept profile, or undefined (never kept, or dropped since). */
  async body(id: string): Promise<Buffer | undefined> {
    if (!this.get(id)) return undefined;
    try {
      return await readFile(join(this.#dir, `${id}${BODY}`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  get size(): { profiles: number; bytes: number } {
    return { profiles: this.#records.length, bytes: this.#records.reduce((sum, r) => sum + r.bytes, 0) };
  }

  get bounds(): StoreBounds {
    return this.#bounds;
  }

  async #applyBounds(): Promise<void> {
    while (this.#records.length > this.#bounds.maxProfiles || this.size.bytes > this.#bounds.maxBytes) {
      const oldest = this.#records.shift() as ProfileRecord;
      await rm(join(this.#dir, `${oldest.id}${RECORD}`), { force: true });
      await rm(join(this.#dir, `${oldest.id}${BODY}`), { force: true });
      this.#onDrop('oldest');
    }
  }

  async #writeAtomically(name: string, data: Buffer | string): Promise<void> {
    const path = join(this.#dir, name);
    await writeFile(`${path}.tmp`, data);
    await rename(`${path}.tmp`, path);
  }
}
