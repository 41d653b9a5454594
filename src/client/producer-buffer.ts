/**
 * A producer's byte budget (`maxBufferedBytes`): every record holds its estimated size here from
 * `send` until its batch settles (acknowledged, failed, or written to the ring with acks 0), so
 * the producer's queues (open batches, batches waiting for an in-flight slot or for room in a
 * ring, batches waiting for their ack) together never hold more than the budget.
 *
 * A request takes all its bytes at once or none: a `sendBatch` is never half-queued. When the
 * bytes do not fit, the request waits in FIFO order (a later small send never overtakes an
 * earlier large one, so per-partition order holds) until enough is released, or fails with
 * TIMEOUT after `timeoutMs`, having queued nothing.
 */
import { assert } from '../assert.js';
import { MambaError } from '../errors.js';

interface RoomWaiter {
  bytes: number;
  grant(): void;
  fail(error: Error): void;
  timer: NodeJS.Timeout;
}

export class ProducerBuffer {
  private usedBytes = 0;
  private readonly waiters: RoomWaiter[] = [];

  /**
   * `published`: a shared word (the session's buffered-bytes word) that every change is added
   * to, so the broker's metrics see producers in every thread.
   */
  constructor(readonly capacityBytes: number, private readonly timeoutMs: number,
    private readonly published?: { words: BigInt64Array; index: number }) {}

  private publish(delta: number): void {
    const published = this.published;
    if (published !== undefined) Atomics.add(published.words, published.index, BigInt(delta));
  }

  /** Bytes of records held now. */
  get bufferedBytes(): number {
    return this.usedBytes;
  }

  /** Requests waiting for room. */
  get waitingCount(): number {
    return this.waiters.length;
  }

  /** Takes `bytes` now if they fit and no earlier request waits; false otherwise. */
  tryReserve(bytes: number): boolean {
    this.checkFits(bytes);
    if (this.waiters.length > 0 || this.usedBytes + bytes > this.capacityBytes) return false;
    this.usedBytes += bytes;
    this.publish(bytes);
    return true;
  }

  /** Waits until `bytes` fit after every earlier waiter; rejects with TIMEOUT after timeoutMs. */
  reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise<void>((grant, fail) => {
      const waiter: RoomWaiter = {
        bytes, grant, fail,
        timer: setTimeout(() => this.expire(waiter), this.timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    this.publish(-bytes);
    assert(this.usedBytes >= 0, 'a producer releases no more bytes than it reserved');
    this.grantWaiters();
  }

  private grantWaiters(): void {
    while (this.waiters.length > 0 &&
      this.usedBytes + this.waiters[0].bytes <= this.capacityBytes) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      this.usedBytes += waiter.bytes;
      this.publish(waiter.bytes);
      waiter.grant();
    }
  }

  private expire(waiter: RoomWaiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    waiter.fail(new MambaError('TIMEOUT',
      `no room for ${waiter.bytes} bytes within ${this.timeoutMs} ms: the producer holds ` +
      `${this.usedBytes} of its maxBufferedBytes ${this.capacityBytes} (nothing was sent)`,
      { detail: { bytes: waiter.bytes, bufferedBytes: this.usedBytes,
        maxBufferedBytes: this.capacityBytes } }));
    // The head leaving may let the requests behind it fit.
    if (index === 0) this.grantWaiters();
  }

  private checkFits(bytes: number): void {
    if (bytes <= this.capacityBytes) return;
    throw new MambaError('RECORD_TOO_LARGE',
      `a request of ${bytes} bytes can never fit in maxBufferedBytes ${this.capacityBytes}`,
      { detail: { bytes, maxBufferedBytes: this.capacityBytes } });
  }
}
