/**
 * The producer's byte budget on its own: all-or-nothing reservations, FIFO waiting, and a
 * TIMEOUT that leaves nothing reserved.
 */
import { describe, expect, it } from 'vitest';
import { ProducerBuffer } from '../../src/client/producer-buffer.js';

describe('ProducerBuffer', () => {
  it('fails a request that found no room in time with TIMEOUT and reserves none of it',
    async () => {
      const buffer = new ProducerBuffer(100, 20);
      expect(buffer.tryReserve(80)).toBe(true);
      await expect(buffer.reserve(30)).rejects.toMatchObject({ code: 'TIMEOUT', retriable: true });
      expect(buffer.bufferedBytes).toBe(80);
      expect(buffer.waitingCount).toBe(0);
    });

  it('grants waiters in order as room is released; a later small one does not overtake',
    async () => {
      const buffer = new ProducerBuffer(100, 10_000);
      expect(buffer.tryReserve(90)).toBe(true);
      const granted: string[] = [];
      const big = buffer.reserve(60).then(() => granted.push('big'));
      // It would fit now (90 + 5 ≤ 100), but the earlier request waits: no overtaking.
      expect(buffer.tryReserve(5)).toBe(false);
      const small = buffer.reserve(5).then(() => granted.push('small'));
      buffer.release(50); // 40 held: the big one fits (100), the small one not yet
      await big;
      expect(granted).toEqual(['big']);
      buffer.release(10);
      await small;
      expect(granted).toEqual(['big', 'small']);
      expect(buffer.bufferedBytes).toBe(95);
    });

  it('refuses a request larger than the whole budget', () => {
    const buffer = new ProducerBuffer(100, 10);
    expect(() => buffer.tryReserve(101)).toThrow(expect.objectContaining({
      code: 'RECORD_TOO_LARGE' }));
  });
});
