/**
 * The control messages posted to one actor worker against those its event loop dispatched, so
 * that the drain loop never blocks its thread in `Atomics.wait` while a command waits in its
 * port. A blocked actor reads no message until the wait ends: before this count, a command
 * posted just before the actor parked (after its last event-loop turn, before it announced
 * sleep) waited for the park's timeout, `heartbeatIntervalMs` (100 ms) — at a restart, the
 * `add-session` that follows the partitions' reopening almost always did (issue 15).
 *
 * One i32 in its own SharedArrayBuffer per worker (`ActorWorkerData.controlPosted`), written by
 * the supervisor (main thread) only; the actor keeps its dispatched count in its own heap. Per
 * worker, not in the control block: a standby is posted to while the actor it backs still runs.
 *
 * Protocol (every access sequentially consistent):
 *   supervisor, per message: postMessage, then `countPosted` (Atomics.add), then
 *     `ControlBlock.ringActor` (loads ACTOR_SLEEPING; if 1, bumps and notifies the doorbell);
 *   actor, before blocking: loads the doorbell (`seen`), stores ACTOR_SLEEPING = 1, then reads
 *     `pending`; it blocks on `seen` only if nothing is pending, else it takes an event-loop turn.
 * Either the actor's load of the count comes after the supervisor's add, and it sees the message
 * pending; or the supervisor's load of ACTOR_SLEEPING comes after the actor's store, sees 1 and
 * moves the doorbell off `seen`, so the wait returns at once. Counts wrap at 2^32 (differences).
 */

/** Bytes of the posted count's buffer: one i32. */
export const CONTROL_POSTED_SIZE_BYTES = 4;

export function newControlPosted(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_POSTED_SIZE_BYTES);
}

/** The supervisor's side: counts one message posted (after posting it). */
export function countPosted(posted: Int32Array): void {
  Atomics.add(posted, 0, 1);
}

/** The actor's side. */
export class ControlInbox {
  private readonly posted: Int32Array;
  private dispatchedCount = 0;

  constructor(postedBuffer: SharedArrayBuffer) {
    this.posted = new Int32Array(postedBuffer, 0, 1);
  }

  /** Called for every message the worker's port dispatches. */
  dispatched(): void {
    this.dispatchedCount = (this.dispatchedCount + 1) | 0;
  }

  /** Whether a message was posted that the event loop has not dispatched yet. */
  get pending(): boolean {
    return ((Atomics.load(this.posted, 0) - this.dispatchedCount) | 0) > 0;
  }
}
