import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseExposition, sumSamples } from '@fos/stack/prom-text';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_MAX_BYTES } from '../src/counter.ts';
import { makeApp } from './helpers.ts';

type App = Awaited<ReturnType<typeof makeApp>>['app'];

async function metric(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSamples(parseExposition((await app.inject({ url: '/metrics' })).body), name, labels);
}

describe('checkpointed counter', () => {
  it('round-trips through a checkpoint and updates the business metrics', async () => {
    const { app, config } = await makeApp();
    expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 0 });
    await app.inject({ method: 'POST', url: '/counter/increment?by=5' });
    expect((await app.inject({ method: 'POST', url: '/counter/increment' })).json()).toEqual({ value: 6 });

    const checkpoint = await app.inject({ method: 'POST', url: '/counter/checkpoint' });
    expect(checkpoint.statusCode).toBe(200);
    expect(checkpoint.json()).toMatchObject({ value: 6, path: config.counterCheckpointPath });
    expect(JSON.parse(await readFile(config.counterCheckpointPath, 'utf8'))).toMatchObject({
      version: 1,
      value: 6,
    });

    await app.inject({ method: 'POST', url: '/counter/increment?by=10' });
    expect(await metric(app, 'app_counter_value')).toBe(16);
    const restore = await app.inject({ method: 'POST', url: '/counter/restore' });
    expect(restore.statusCode).toBe(200);
    expect(restore.json()).toMatchObject({ value: 6 });
    expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 6 });

    expect(await metric(app, 'app_counter_value')).toBe(6);
    expect(await metric(app, 'app_counter_checkpoints_total', { result: 'success' })).toBe(1);
    expect(await metric(app, 'app_counter_restores_total', { result: 'success' })).toBe(1);
    expect(await metric(app, 'app_counter_last_checkpoint_value')).toBe(6);
    expect(await metric(app, 'app_counter_last_restore_value')).toBe(6);
  });

  it('restores a checkpoint written by an earlier process', async () => {
    const { app, config } = await makeApp();
    await app.inject({ method: 'POST', url: '/counter/increment?by=41' });
    await app.inject({ method: 'POST', url: '/counter/checkpoint' });
    const { app: restarted } = await makeApp({ COUNTER_CHECKPOINT_PATH: config.counterCheckpointPath });
    expect((await restarted.inject({ method: 'POST', url: '/counter/restore' })).json()).toMatchObject({
      value: 41,
    });
  });

  it('writes atomically: concurrent checkpoints leave one valid file and no temp files', async () => {
    const { app, dir, config } = await makeApp();
    await app.inject({ method: 'POST', url: '/counter/increment?by=3' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => app.inject({ method: 'POST', url: '/counter/checkpoint' })),
    );
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    expect(await readdir(dir)).toEqual(['counter.json']);
    expect(JSON.parse(await readFile(config.counterCheckpointPath, 'utf8')).value).toBe(3);
  });

  it('keeps the previous checkpoint when a write fails, and reports the failure', async () => {
    const { app, dir } = await makeApp();
    const blocked = join(dir, 'not-a-dir');
    await writeFile(blocked, 'a file where a directory is expected');
    const { app: failing } = await makeApp({ COUNTER_CHECKPOINT_PATH: join(blocked, 'counter.json') });
    const response = await failing.inject({ method: 'POST', url: '/counter/checkpoint' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'CHECKPOINT_WRITE_FAILED' });
    expect(await metric(failing, 'app_counter_checkpoints_total', { result: 'failure' })).toBe(1);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('answers 404 for a missing checkpoint and leaves the value unchanged', async () => {
    const { app } = await makeApp();
    await app.inject({ method: 'POST', url: '/counter/increment?by=7' });
    const response = await app.inject({ method: 'POST', url: '/counter/restore' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'CHECKPOINT_MISSING' });
    expect(response.json().message).toMatch(/no checkpoint at .*counter\.json/);
    expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 7 });
    expect(await metric(app, 'app_counter_restores_total', { result: 'failure' })).toBe(1);
  });

  it.each([
    ['not JSON', '{"version":1,"value":'],
    ['a wrong shape', '{"version":1,"value":"12","at":"x"}'],
    ['a negative value', '{"version":1,"value":-3,"at":"2026-01-01T00:00:00.000Z"}'],
    ['an unknown version', '{"version":9,"value":3,"at":"2026-01-01T00:00:00.000Z"}'],
    ['empty', ''],
    ['an `at` that is not a date', '{"version":1,"value":3,"at":"yesterday"}'],
  ])('rejects a corrupt checkpoint (%s) with a clear error and keeps the value', async (_label, contents) => {
    const { app, config, dir } = await makeApp();
    await mkdir(dir, { recursive: true });
    await writeFile(config.counterCheckpointPath, contents);
    await app.inject({ method: 'POST', url: '/counter/increment?by=2' });
    const response = await app.inject({ method: 'POST', url: '/counter/restore' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect(response.json().message).toMatch(/checkpoint .*counter\.json/);
    expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 2 });
    expect(await metric(app, 'app_counter_value')).toBe(2);
  });

  it.each(['Infinity', '-Infinity', '1e400'])(
    'answers 400 for by=%s: bad input, not an overflow',
    async (by) => {
      const { app } = await makeApp();
      const response = await app.inject({ method: 'POST', url: `/counter/increment?by=${by}` });
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toMatch(/by must/);
      expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 0 });
    },
  );

  it('answers 409 when the counter would pass the largest safe integer', async () => {
    const { app, config, dir } = await makeApp();
    await mkdir(dir, { recursive: true });
    const value = Number.MAX_SAFE_INTEGER - 1;
    await writeFile(
      config.counterCheckpointPath,
      JSON.stringify({ version: 1, value, at: '2026-01-01T00:00:00.000Z' }),
    );
    expect((await app.inject({ method: 'POST', url: '/counter/restore' })).statusCode).toBe(200);
    const response = await app.inject({ method: 'POST', url: '/counter/increment?by=5' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'COUNTER_OVERFLOW' });
  });

  it('refuses a checkpoint path that is a FIFO at once, and later checkpoints still work', async () => {
    const { app, config, dir } = await makeApp();
    await mkdir(dir, { recursive: true });
    const made = spawnSync('mkfifo', [config.counterCheckpointPath]);
    expect(made.status, String(made.stderr)).toBe(0);
    const response = await app.inject({ method: 'POST', url: '/counter/restore' });
    expect(response.statusCode).toBe(500);
    expect(response.json().message).toMatch(/counter\.json is not a regular file/);
    await app.inject({ method: 'POST', url: '/counter/increment?by=4' });
    const checkpoint = await app.inject({ method: 'POST', url: '/counter/checkpoint' });
    expect(checkpoint.statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/counter/restore' })).json()).toMatchObject({
      value: 4,
    });
  });

  it('does not read a huge checkpoint file: it names its size and keeps the value', async () => {
    const { app, config, dir } = await makeApp();
    await mkdir(dir, { recursive: true });
    // 300 MB, sparse: nothing is written, but a whole read would allocate all of it.
    await writeFile(config.counterCheckpointPath, '');
    await truncate(config.counterCheckpointPath, 300 * 1024 * 1024);
    await app.inject({ method: 'POST', url: '/counter/increment?by=2' });
    const response = await app.inject({ method: 'POST', url: '/counter/restore' });
    expect(response.statusCode).toBe(500);
    expect(response.json().message).toMatch(
      new RegExp(`is ${300 * 1024 * 1024} bytes, more than a checkpoint's ${CHECKPOINT_MAX_BYTES}: not read`),
    );
    expect((await app.inject({ url: '/counter' })).json()).toEqual({ value: 2 });
  });
});
