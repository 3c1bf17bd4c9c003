import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const CHECKPOINT_FORMAT_VERSION = 1;
/** A checkpoint is under 100 bytes; a file much larger is not one, and is never read whole. */
export const CHECKPOINT_MAX_BYTES = 64 * 1024;

export type CheckpointErrorCode = 'CHECKPOINT_MISSING' | 'CHECKPOINT_CORRUPT' | 'CHECKPOINT_WRITE_FAILED';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The increment is fine, but the counter would pass Number.MAX_SAFE_INTEGER. */
export class CounterOverflowError extends RangeError {
  override name = 'CounterOverflowError';
}

export interface CheckpointResult {
  value: number;
  path: string;
  at: string;
}

export interface CounterHooks {
  onChange?(value: number): void;
  onCheckpoint?(outcome: 'success' | 'failure', value: number): void;
  onRestore?(outcome: 'success' | 'failure', value: number): void;
}

/**
 * An in-memory counter that can be saved to and loaded from a file. Checkpoint and restore are
 * serialised so a restore never reads a half-written file, and the write is atomic (temp file in
 * the same directory, fsync, rename), so a crash leaves either the old checkpoint or the new one.
 */
export class CheckpointedCounter {
  #value = 0;
  #queue: Promise<unknown> = Promise.resolve();

  readonly checkpointPath: string;
  readonly #hooks: CounterHooks;
  readonly #now: () => Date;

  constructor(checkpointPath: string, hooks: CounterHooks = {}, now: () => Date = () => new Date()) {
    this.checkpointPath = checkpointPath;
    this.#hooks = hooks;
    this.#now = now;
  }

  get value(): number {
    return this.#value;
  }

  increment(by = 1): number {
    if (!Number.isSafeInteger(by) || by < 1) throw new RangeError('increment must be a positive integer');
    if (!Number.isSafeInteger(this.#value + by)) throw new CounterOverflowError('counter would overflow');
    this.#value += by;
    this.#hooks.onChange?.(this.#value);
    return this.#value;
  }

  checkpoint(): Promise<CheckpointResult> {
    return this.#serialise(async () => {
      const value = this.#value;
      const at = this.#now().toISOString();
      try {
        await writeFileAtomic(
          this.checkpointPath,
          `${JSON.stringify({ version: CHECKPOINT_FORMAT_VERSION, value, at })}\n`,
        );
      } catch (cause) {
        this.#hooks.onCheckpoint?.('failure', value);
        throw new CheckpointError(
          'CHECKPOINT_WRITE_FAILED',
          `could not write checkpoint ${this.checkpointPath}: ${(cause as Error).message}`,
          { cause },
        );
      }
      this.#hooks.onCheckpoint?.('success', value);
      return { value, path: this.checkpointPath, at };
    });
  }

  /** Loads the checkpoint; on any error the in-memory value is left as it was. */
  restore(): Promise<CheckpointResult> {
    return this.#serialise(async () => {
      try {
        const { value, at } = await readCheckpoint(this.checkpointPath);
        this.#value = value;
        this.#hooks.onChange?.(value);
        this.#hooks.onRestore?.('success', value);
        return { value, path: this.checkpointPath, at };
      } catch (error) {
        this.#hooks.onRestore?.('failure', this.#value);
        throw error;
      }
    });
  }

  #serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The checkpoint's text. Opened non-blocking and checked before reading: a FIFO or a device would
 * block the read (and every checkpoint and restore queued behind it) forever, and a huge file would
 * be read whole into memory.
 */
async function readCheckpointText(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CheckpointError('CHECKPOINT_MISSING', `no checkpoint at ${path}: checkpoint first`, {
        cause,
      });
    }
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `could not read checkpoint ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new CheckpointError('CHECKPOINT_CORRUPT', `checkpoint ${path} is not a regular file`);
    }
    if (stats.size > CHECKPOINT_MAX_BYTES) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `checkpoint ${path} is ${stats.size} bytes, more than a checkpoint's ${CHECKPOINT_MAX_BYTES}: not read`,
      );
    }
    // One byte past the bound: a file that grew since stat() is caught too.
    const buffer = Buffer.alloc(CHECKPOINT_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > CHECKPOINT_MAX_BYTES) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `checkpoint ${path} is more than ${CHECKPOINT_MAX_BYTES} bytes`,
      );
    }
    return buffer.toString('utf8', 0, bytesRead);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `could not read checkpoint ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  } finally {
    await handle.close();
  }
}

async function readCheckpoint(path: string): Promise<{ value: number; at: string }> {
  const text = await readCheckpointText(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `checkpoint ${path} is not valid JSON`, { cause });
  }
  const record = data as { version?: unknown; value?: unknown; at?: unknown } | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.version !== CHECKPOINT_FORMAT_VERSION ||
    !Number.isSafeInteger(record.value) ||
    (record.value as number) < 0 ||
    typeof record.at !== 'string' ||
    Number.isNaN(Date.parse(record.at))
  ) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `checkpoint ${path} is corrupt: expected {"version":${CHECKPOINT_FORMAT_VERSION},"value":<non-negative integer>,"at":<ISO time>}`,
    );
  }
  return { value: record.value as number, at: record.at };
}

export async function writeFileAtomic(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tempPath = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tempPath, 'wx', 0o600);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
}
