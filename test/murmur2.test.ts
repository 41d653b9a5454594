import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition } from '../src/client/murmur2.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur2', () => {
  it('matches values computed by Kafka\'s Java Utils.murmur2', () => {
    // Vectors generated with the Java client (published with kafkajs's Java-compatible
    // partitioner tests).
    const expected: Record<string, number> = {
      '0': 971027396, '1': -1993445489, '128': -326012175, '2187': -1508407203,
      '16384': -325739742, '78125': -1654490814, '279936': 1462227128, '823543': -2014198330,
    };
    for (const [key, hash] of Object.entries(expected)) expect(murmur2(utf8(key))).toBe(hash);
  });

  it('maps a hash to a partition the way Kafka does: positive part modulo the count', () => {
    // murmur2('1') is negative in Java: -1993445489 & 0x7fffffff = 154038159.
    expect(murmur2Partition(utf8('1'), 10)).toBe(154038159 % 10);
    expect(murmur2Partition(utf8('0'), 7)).toBe(971027396 % 7);
  });

  it('hashes every tail length (0..3 trailing bytes) deterministically within range', () => {
    for (let n = 0; n < 9; n++) {
      const p = murmur2Partition(new Uint8Array(n).fill(0xff), 7);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
    }
  });
});
