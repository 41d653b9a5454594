/**
 * Messages as a kafkajs user expects them (issue 17, item 7): Buffer views whose toString() is
 * the text, a readable console.log, JSON and spreads that keep key, value and headers.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage } from '../../src/index.js';
import { openBroker } from './helpers.js';

async function consumeAll(count: number, send: Array<Record<string, unknown>>):
Promise<ConsumedMessage[]> {
  const broker = await openBroker();
  try {
    await broker.createTopic('m', { partitions: 1, segmentBytes: 1 << 20 });
    const producer = broker.producer({ acks: 1 });
    await producer.sendBatch('m', send as never);
    await producer.close();
    const consumer = broker.consumer({ fromBeginning: true });
    await consumer.subscribe('m');
    const out: ConsumedMessage[] = [];
    for await (const m of consumer) {
      out.push(m);
      if (out.length === count) break;
    }
    await consumer.close();
    return out;
  } finally {
    await broker.close();
  }
}

describe('consumed messages', () => {
  it('carry Buffer views, print readably and keep their fields in JSON and spreads',
    async () => {
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x01]);
    const [m, n, b] = await consumeAll(3, [
      { key: 'user-1', value: 'hello', headers: { trace: 'abc' }, timestamp: 1_700_000_000_000 },
      { key: null, value: null, timestamp: 1_700_000_000_001 },
      { key: 'bin', value: binary, headers: { raw: binary }, timestamp: 1_700_000_000_002 },
    ]);
    expect(Buffer.isBuffer(m.value)).toBe(true);
    expect(Buffer.isBuffer(m.key)).toBe(true);
    expect(Buffer.isBuffer(m.headers.trace)).toBe(true);
    expect(m.value!.toString()).toBe('hello');
    expect(m.key!.toString()).toBe('user-1');
    expect(m.headers.trace.toString()).toBe('abc');
    expect(Buffer.isBuffer(m.valueCopy())).toBe(true);

    const printed = inspect(m);
    expect(printed).toBe('ConsumedMessage { m/0@0, timestamp: 1700000000000, key: "user-1", ' +
      'value: "hello", headers: [trace] }');
    expect(inspect(b)).toContain('value: <ff00fe01>');
    expect(inspect(n)).toContain('key: null, value: null');
    // Never the mapping behind the views (it is up to a whole segment).
    expect(inspect({ list: [m, n, b] }, { depth: 5 }).length).toBeLessThan(600);

    expect(JSON.parse(JSON.stringify(m))).toEqual({
      topic: 'm', partition: 0, offset: 0, timestamp: 1_700_000_000_000,
      key: 'user-1', value: 'hello', headers: { trace: 'abc' },
    });
    expect(n.toJSON()).toMatchObject({ key: null, value: null, headers: {} });
    expect(b.toJSON()).toMatchObject({
      key: 'bin', value: { base64: binary.toString('base64') },
      headers: { raw: { base64: binary.toString('base64') } },
    });

    const spread = { ...m };
    expect(Object.keys(spread).sort()).toEqual(
      ['headers', 'key', 'offset', 'partition', 'timestamp', 'topic', 'value']);
    expect(spread.value!.toString()).toBe('hello');
    expect(spread.headers.trace.toString()).toBe('abc');
  });

  it('decode header names of every kind, however many records share them', async () => {
    // More distinct names than the consumer's name cache holds (16), names of one length that
    // differ in a byte, a non-ASCII name and an empty one, each record's names in its order.
    const names = Array.from({ length: 20 }, (_, i) => `h${String(i).padStart(2, '0')}`);
    const sent = Array.from({ length: 60 }, (_, i) => ({
      value: `v${i}`,
      headers: {
        [names[i % names.length]]: `a${i}`, type: 't', tape: `p${i}`, 'größe': 'ß', '': 'empty',
        [names[(i * 7) % names.length]]: `b${i}`,
      } as Record<string, string>,
    }));
    const got = await consumeAll(sent.length, sent);
    for (let i = 0; i < sent.length; i++) {
      const headers = Object.fromEntries(Object.entries(got[i].headers)
        .map(([name, value]) => [name, value.toString()]));
      expect(headers).toEqual(sent[i].headers);
      expect(Object.keys(got[i].headers)).toEqual(Object.keys(sent[i].headers));
    }
  });

  it('long values print as a preview with their size', async () => {
    const [m] = await consumeAll(1, [{ value: 'x'.repeat(10_000) }]);
    const printed = inspect(m);
    expect(printed).toContain(`value: "${'x'.repeat(48)}"… (10000 bytes)`);
    expect(printed.length).toBeLessThan(200);
  });
});
