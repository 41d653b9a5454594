/**
 * A producer session: one producer thread's connection to every partition actor. Per actor it
 * has a request ring (producer → actor, SPSC: this thread is its only writer) and an ack ring
 * (actor → producer, SPSC: that actor is its only writer). Keeping every ring single-writer
 * means a killed actor can never leave a half-claimed frame in a ring another thread needs:
 * its uncommitted claims simply never become visible. The session's own control words:
 *
 * ```
 *  0          128          256          384               512
 *  +----------+------------+------------+-----------------+
 *  | doorbell | sleeping   | closed     | buffered bytes  |   each on its own 128 bytes
 *  +----------+------------+------------+-----------------+
 * ```
 * - doorbell: bumped by an actor after it wrote acks, if `sleeping` is 1 (writers: actors).
 * - sleeping: 1 while the session's ack pump is about to wait (writer: the producer thread).
 * - closed: 1 once the producer side closed; actors drop the session when its rings are empty.
 * - buffered bytes (int64): what the session's producers hold against their `maxBufferedBytes`
 *   (writers: those producers, `Atomics.add`; reader: the broker's metrics, at scrape time).
 */
import type { RingHandle } from '../ringbuffer/index.js';

const SLOT = 128;
export const SESSION_DOORBELL = 0;
export const SESSION_SLEEPING = SESSION_DOORBELL + SLOT / 4;
export const SESSION_CLOSED = SESSION_SLEEPING + SLOT / 4;
/** Index of the buffered-bytes word in a BigInt64Array over the control buffer. */
export const SESSION_BUFFERED_BYTES = (3 * SLOT) / 8;
export const SESSION_CONTROL_SIZE_BYTES = 4 * SLOT;

export interface SessionRings {
  request: RingHandle;
  ack: RingHandle;
}

/** Everything a thread needs to produce: structured-cloneable, nothing to transfer. */
export interface SessionHandle {
  sessionId: number;
  control: SharedArrayBuffer;
  rings: SessionRings[];
  controlBlock: SharedArrayBuffer;
  topicDirectory: SharedArrayBuffer;
}

/** Wakes the session's ack pump unconditionally (used when the broker closes). */
export function wakeSession(control: Int32Array): void {
  Atomics.add(control, SESSION_DOORBELL, 1);
  Atomics.notify(control, SESSION_DOORBELL);
}

/** Actor side: wake the session's ack pump if it is waiting. */
export function ringSession(control: Int32Array): void {
  if (Atomics.load(control, SESSION_SLEEPING) === 0) return;
  Atomics.add(control, SESSION_DOORBELL, 1);
  Atomics.notify(control, SESSION_DOORBELL);
}
