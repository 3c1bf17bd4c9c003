import { Stack } from '@fos/stack/stack';

/** Runs `body` on a fresh local stack and always stops it; on failure the error carries every process's log. */
export async function withStack(
  options: Parameters<typeof Stack.start>[0],
  body: (stack: Stack) => Promise<void>,
) {
  const stack = await Stack.start(options);
  try {
    await body(stack);
  } catch (error) {
    (error as Error).message += `\n\nprocess logs:\n${stack.logs()}`;
    throw error;
  } finally {
    await stack.stop();
  }
}
