/**
 * Waiting on a shared word without blocking the thread: `Atomics.waitAsync`, made dependable on
 * Node. A pending waitAsync does not keep the event loop alive (nodejs/node#44729), so a worker
 * whose only pending work is the wait simply exits, and the wait's own timeout is not always
 * delivered. A ref'd timer of the same length keeps the thread alive and bounds the wait; it is
 * armed only when the wait really sleeps. The main thread (which must never block) and workers
 * that also serve messages use this; the others may block in `Atomics.wait`.
 */
import { timerDelayMsMax } from '../constants.js';

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

const atomicsWithWaitAsync = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
};


/**
 * Resolves once `array[index]` no longer holds `value` (at once if it already does not), or
 * after `timeoutMs`. The caller re-reads whatever it waits for: a resolution says only "look".
 */
export async function waitForChange(array: Int32Array, index: number, value: number,
  timeoutMs: number): Promise<void> {
  const result = atomicsWithWaitAsync.waitAsync(array, index, value, timeoutMs);
  if (!result.async) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timerMs = Math.min(Math.ceil(timeoutMs) + 1, timerDelayMsMax);
  await Promise.race([result.value, new Promise((resolve) => {
    timer = setTimeout(resolve, timerMs);
  })]);
  clearTimeout(timer);
}
