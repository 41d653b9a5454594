/**
 * Which offset of one partition may be committed: the first record not yet processed, given
 * records that complete in any order. A commit names the next record to read, so committing
 * offset `n` says every record below `n` succeeded; the tracker never answers past a record
 * that is still in flight or failed.
 */
import { assert } from '../assert.js';

export class OffsetTracker {
  /** Offsets handed out and not yet passed by the committable point, in increasing order. */
  private inFlight: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private committed: number | undefined;

  /** Registers records about to be processed; offsets increase across calls. */
  begin(offsets: readonly number[]): void {
    for (const offset of offsets) {
      const last = this.inFlight.length > this.head
        ? this.inFlight[this.inFlight.length - 1] : this.committed;
      assert(last === undefined || offset >= last + (this.inFlight.length > this.head ? 1 : 0),
        'tracked offsets increase');
      this.inFlight.push(offset);
    }
  }

  /** Marks one record done and advances the committable point over every done prefix. */
  complete(offset: number): void {
    assert(this.inFlight.indexOf(offset, this.head) >= 0, 'a completed offset was begun');
    this.done.add(offset);
    while (this.head < this.inFlight.length && this.done.has(this.inFlight[this.head])) {
      this.done.delete(this.inFlight[this.head]);
      this.committed = this.inFlight[this.head] + 1;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.inFlight.length) {
      this.inFlight = this.inFlight.slice(this.head);
      this.head = 0;
    }
  }

  /** The offset to commit (next to read), or undefined if nothing has completed yet. */
  committable(): number | undefined {
    return this.committed;
  }

  /** Records begun and not yet passed by the committable point. */
  pendingCount(): number {
    return this.inFlight.length - this.head;
  }
}
