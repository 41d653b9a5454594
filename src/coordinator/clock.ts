/**
 * The time source of group coordination. Session and rebalance deadlines, heartbeats and retry
 * backoff all read it, so tests drive time explicitly with `ManualClock` instead of sleeping.
 */
import { assert } from '../assert.js';

export interface Clock {
  nowMs(): number;
  /** Calls `callback` once, `delayMs` from now; the returned function cancels it. */
  schedule(delayMs: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => performance.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    // A pending deadline must not keep the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface ScheduledCall {
  dueMs: number;
  sequence: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told; due callbacks run, in time order, inside `advance`. */
export class ManualClock implements Clock {
  private timeMs: number;
  private sequence = 0;
  private calls: ScheduledCall[] = [];

  constructor(startMs = 0) {
    this.timeMs = startMs;
  }

  nowMs(): number {
    return this.timeMs;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    assert(delayMs >= 0, 'a delay is not negative');
    const call = {
      dueMs: this.timeMs + delayMs, sequence: this.sequence++, callback, cancelled: false,
    };
    this.calls.push(call);
    return () => { call.cancelled = true; };
  }

  /** Moves time forward by `deltaMs`, running every callback that falls due on the way. */
  advance(deltaMs: number): void {
    assert(deltaMs >= 0, 'time does not go back');
    const targetMs = this.timeMs + deltaMs;
    for (;;) {
      this.calls = this.calls.filter((c) => !c.cancelled);
      const due = this.calls.filter((c) => c.dueMs <= targetMs)
        .sort((a, b) => a.dueMs - b.dueMs || a.sequence - b.sequence)[0];
      if (due === undefined) break;
      this.timeMs = Math.max(this.timeMs, due.dueMs);
      due.cancelled = true;
      due.callback();
    }
    this.timeMs = targetMs;
  }

  /** Callbacks still waiting, for tests that check nothing is left behind. */
  pendingCount(): number {
    return this.calls.filter((c) => !c.cancelled).length;
  }
}
