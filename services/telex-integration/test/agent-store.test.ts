import { type Task, TaskState } from '@a2a-js/sdk';
import { describe, expect, it } from 'vitest';
import { credentials, pushUrlProblem } from '../src/agent/push.ts';
import { RecentTaskStore } from '../src/agent/task-store.ts';

const task = (id: string, state = TaskState.TASK_STATE_COMPLETED, contextId = 'c'): Task => ({
  id,
  contextId,
  status: { state, timestamp: '2026-12-02T10:00:00Z', message: undefined },
  artifacts: [],
  history: [],
  metadata: undefined,
});

describe('RecentTaskStore', () => {
  it('keeps the most recently changed tasks, at most its capacity', async () => {
    const store = new RecentTaskStore(2);
    await store.save(task('a'));
    await store.save(task('b'));
    await store.save(task('a', TaskState.TASK_STATE_WORKING)); // a changes: b is now the stalest
    await store.save(task('c'));
    expect(store.size).toBe(2);
    expect(await store.load('b')).toBeUndefined();
    expect((await store.load('a'))?.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    expect((await store.load('c'))?.id).toBe('c');
  });

  it('hands out copies: a caller changing one changes nothing stored', async () => {
    const store = new RecentTaskStore(5);
    await store.save(task('a'));
    const loaded = await store.load('a');
    if (loaded?.status) loaded.status.state = TaskState.TASK_STATE_FAILED;
    expect((await store.load('a'))?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('lists the newest first, by context and state', async () => {
    const store = new RecentTaskStore(5);
    await store.save(task('a', TaskState.TASK_STATE_COMPLETED, 'x'));
    await store.save(task('b', TaskState.TASK_STATE_FAILED, 'x'));
    await store.save(task('c', TaskState.TASK_STATE_COMPLETED, 'y'));
    const base = { tenant: '', pageToken: '', statusTimestampAfter: undefined };
    const all = await store.list({ ...base, contextId: '', status: TaskState.TASK_STATE_UNSPECIFIED });
    expect(all.tasks.map((t) => t.id)).toEqual(['c', 'b', 'a']);
    const done = await store.list({ ...base, contextId: 'x', status: TaskState.TASK_STATE_COMPLETED });
    expect(done.tasks.map((t) => t.id)).toEqual(['a']);
  });
});

describe('pushes', () => {
  it('send the token as Telex asks for it by scheme, and nothing without one', () => {
    expect(credentials('t0k', 'Bearer')).toEqual({ authorization: 'Bearer t0k' });
    expect(credentials('t0k', '')).toEqual({ authorization: 'Bearer t0k' });
    expect(credentials('t0k', 'TelexApiKey')).toEqual({ 'x-telex-api-key': 't0k' });
    expect(credentials('', 'Bearer')).toEqual({});
  });

  it('go only to the allowed hosts, over http(s)', () => {
    const hosts = ['ping.telex.im'];
    expect(pushUrlProblem('https://ping.telex.im/v1/a2a/webhooks/1', hosts)).toBeUndefined();
    expect(pushUrlProblem('https://PING.telex.im/x', hosts)).toBeUndefined();
    expect(pushUrlProblem('https://ping.telex.im.evil.example/x', hosts)).toMatch(
      /host 'ping.telex.im.evil.example' is not allowed/,
    );
    expect(pushUrlProblem('file:///etc/passwd', hosts)).toMatch(/must be an http\(s\) URL/);
    expect(pushUrlProblem('not a url', hosts)).toMatch(/must be an http\(s\) URL, got 'not a url'/);
  });
});
