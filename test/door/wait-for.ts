/** Polls an asynchronous condition (bounded by `timeoutMs`) for state no event announces. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number,
  what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
