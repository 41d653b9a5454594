/**
 * Failed logins per client address, so that repeated failures from one address are slowed
 * down (Kafka's `connection.failed.authentication.delay.ms`, made to grow): the answer to the
 * n-th failure in a row waits `authFailureDelayMsMin · 2^(n-1)`, at most
 * `authFailureDelayMsMax`. Memory is bounded: at most `authFailureAddressesMax` addresses are
 * remembered (the one failed longest ago is forgotten first), and an address quiet for
 * `authFailureMemoryMs` starts over. A successful login from an address clears it.
 */
import {
  authFailureAddressesMax, authFailureDelayMsMax, authFailureDelayMsMin, authFailureMemoryMs,
} from '../constants.js';

interface Record {
  count: number;
  lastMs: number;
}

export class AuthFailures {
  /** In order of last failure, oldest first (a Map keeps insertion order). */
  private readonly byAddress = new Map<string, Record>();

  constructor(private readonly addressesMax = authFailureAddressesMax) {}

  /** Counts a failure from `address`; returns how long its answer must wait. */
  fail(address: string, nowMs = Date.now()): number {
    const previous = this.byAddress.get(address);
    const fresh = previous === undefined || nowMs - previous.lastMs > authFailureMemoryMs;
    const count = fresh ? 1 : previous.count + 1;
    this.byAddress.delete(address);
    this.byAddress.set(address, { count, lastMs: nowMs });
    while (this.byAddress.size > this.addressesMax) {
      this.byAddress.delete(this.byAddress.keys().next().value!);
    }
    return Math.min(authFailureDelayMsMin * 2 ** Math.min(count - 1, 30), authFailureDelayMsMax);
  }

  succeed(address: string): void {
    this.byAddress.delete(address);
  }

  get size(): number {
    return this.byAddress.size;
  }
}
