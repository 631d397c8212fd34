/**
 * Polls until `probe` returns a truthy value and returns it: for effects that arrive asynchronously (through the
 * event bus, a socket, another process). Fails with `what` when the time is up, so a test says what it awaited.
 */
export async function eventually<T>(
  probe: () => T | undefined | null | false | 0 | '' | Promise<T | undefined | null | false | 0 | ''>,
  timeoutMs = 15_000,
  what: string | (() => string) = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${typeof what === 'function' ? what() : what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
