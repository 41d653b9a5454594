/**
 * Assertions that stay on in production. A failed assertion is a bug in Mamba, never an
 * operating condition: it throws `AssertionError`, which crashes the worker it runs in, and the
 * supervisor restarts that worker from its last checkpoint. Operating errors (bad input, full
 * disk, a closed broker) are `MambaError`s instead; see errors.ts.
 *
 * Split compound conditions into separate calls so that a failure names the one that broke.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Ends an exhaustive `switch` over a closed union; the compiler proves it unreachable. */
export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
