import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DropReason, PROFILE_ID, type ProfileRecord, ProfileStore } from '../src/store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function storeIn(bounds: { maxProfiles: number; maxBytes: number }, dir?: string) {
  const where = dir ?? (await mkdtemp(join(tmpdir(), 'fos-profiles-')));
  if (!dir) dirs.push(where);
  const drops: DropReason[] = [];
  const store = new ProfileStore(where, bounds, (reason) => drops.push(reason));
  await store.open();
  return { store, drops, dir: where };
}

const at = (second: number) => new Date(Date.UTC(2026, 11, 8, 1, 0, second));
const record = (second: number): Omit<ProfileRecord, 'bytes'> => ({
  id: ProfileStore.newId('cpu', at(second)),
  type: 'cpu',
  job: 'orders',
  instance: '127.0.0.1:8000',
  alerts: ['EventLoopBlocked'],
  capturedAt: at(second).toISOString(),
  seconds: 5,
  workingDirectory: '/app',
  top: [],
});

describe('ProfileStore', () => {
  it('makes ids that the routes accept, and only those', () => {
    const id = ProfileStore.newId('heap', at(7));
    expect(id).toMatch(/^20261208T010007Z-heap-[0-9a-f]{8}$/);
    expect(PROFILE_ID.test(id)).toBe(true);
    expect(PROFILE_ID.test('../../etc/passwd')).toBe(false);
  });

  it('drops the oldest past its count, counts each drop, and lists newest first', async () => {
    const { store, drops } = await storeIn({ maxProfiles: 2, maxBytes: 1 << 20 });
    const [a, b, c] = [record(1), record(2), record(3)];
    for (const r of [a, b, c]) expect(await store.add(r, Buffer.from('{}'))).toBe(true);
    expect(store.list().map((r) => r.id)).toEqual([c.id, b.id]);
    expect(drops).toEqual(['oldest']);
    expect(await store.body(a.id)).toBeUndefined();
    expect((await store.body(c.id))?.toString()).toBe('{}');
  });

  it('drops the oldest past its bytes, and refuses a profile larger than the whole store', async () => {
    const { store, drops } = await storeIn({ maxProfiles: 10, maxBytes: 100 });
    await store.add(record(1), Buffer.alloc(60, 32));
    await store.add(record(2), Buffer.alloc(60, 32));
    expect(store.size).toEqual({ profiles: 1, bytes: 60 });
    expect(await store.add(record(3), Buffer.alloc(101, 32))).toBe(false);
    expect(drops).toEqual(['oldest', 'too_large']);
    expect(store.size).toEqual({ profiles: 1, bytes: 60 });
  });

  it('keeps two profiles that arrive together within its bounds', async () => {
    const { store, drops } = await storeIn({ maxProfiles: 10, maxBytes: 100 });
    await Promise.all([
      store.add(record(1), Buffer.alloc(60, 32)),
      store.add(record(2), Buffer.alloc(60, 32)),
    ]);
    expect(store.size).toEqual({ profiles: 1, bytes: 60 });
    expect(drops).toEqual(['oldest']);
  });

  it('finds what an earlier run kept, and removes what it left half written', async () => {
    const first = await storeIn({ maxProfiles: 10, maxBytes: 1 << 20 });
    const kept = record(1);
    await first.store.add(kept, Buffer.from('{"nodes":[]}'));
    // A process that died between writing a body and its record, and one mid-write.
    await writeFile(join(first.dir, '20261208T010009Z-cpu-0000abcd.profile.json'), '{}');
    await writeFile(join(first.dir, '20261208T010010Z-cpu-0000abce.record.json.tmp'), '{');
    const again = await storeIn({ maxProfiles: 10, maxBytes: 1 << 20 }, first.dir);
    expect(again.store.list().map((r) => r.id)).toEqual([kept.id]);
    expect(again.store.size.bytes).toBe('{"nodes":[]}'.length);
    expect((await readdir(first.dir)).sort()).toEqual([`${kept.id}.profile.json`, `${kept.id}.record.json`]);
  });
});
