import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const MiB = 1024 * 1024;

/** `CODE: message` of the error a promise rejects with. */
async function shown(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof MambaError)) throw new Error(`expected a MambaError, got ${error}`);
  return `${error.code}: ${error.message}`;
}

describe('maxRecordBytes', () => {
  it('defaults to 1 MiB, counted with the record\'s framing, and names topic and partition',
    async () => {
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
      try {
        await broker.createTopic('orders', { partitions: 4 });
        expect((await broker.describeTopic('orders')).config.maxRecordBytes).toBe(MiB);
        const producer = broker.producer();
        await expect(shown(producer.send('orders',
          { value: new Uint8Array(2_000_000), partition: 3 }))).resolves.toBe(
          'RECORD_TOO_LARGE: orders/3: record of 2000024 bytes exceeds maxRecordBytes 1048576');
        // Key, value and 24 bytes of framing: exactly at the limit is accepted.
        const atLimit = await producer.send('orders',
          { value: new Uint8Array(MiB - 24), partition: 0 });
        expect(atLimit.offset).toBe(0);
        await expect(shown(producer.send('orders',
          { key: 'k', value: new Uint8Array(MiB - 24), partition: 1 }))).resolves
          .toMatch(/^RECORD_TOO_LARGE: orders\/1: record of 1048577 bytes/);
      } finally {
        await broker.close();
      }
    });

  it('is a broker default for new topics, a topic option, and kept across reopen', async () => {
    const dataDir = tempDir();
    let broker = await Broker.open({ dataDir, actors: 1, maxRecordBytes: 1000 });
    await broker.createTopic('small');
    await broker.createTopic('large', { maxRecordBytes: 100_000 });
    const producer = broker.producer();
    await expect(shown(producer.sendBatch('small', [{ value: new Uint8Array(2000) }])))
      .resolves.toBe('RECORD_TOO_LARGE: small/0: record of 2024 bytes exceeds maxRecordBytes 1000');
    expect((await producer.send('large', { value: new Uint8Array(2000) })).offset).toBe(0);
    await broker.close();
    // The limit is the topic's: a broker opened with another default keeps it.
    broker = await Broker.open({ dataDir, actors: 1 });
    try {
      expect((await broker.describeTopic('small')).config.maxRecordBytes).toBe(1000);
      await expect(shown(broker.producer().send('small', { value: new Uint8Array(2000) })))
        .resolves.toMatch(/^RECORD_TOO_LARGE: small\/0: /);
    } finally {
      await broker.close();
    }
  });

  it('is validated: at least an empty record, at most 1 MiB', async () => {
    await expect(shown(Broker.open({ dataDir: tempDir(), maxRecordBytes: 2 * MiB })))
      .resolves.toMatch(/^INVALID_CONFIG: options\.maxRecordBytes must be an integer from 24 to 1048576/);
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      await expect(shown(broker.createTopic('t', { maxRecordBytes: 0 })))
        .resolves.toMatch(/^INVALID_CONFIG: options\.maxRecordBytes must be/);
    } finally {
      await broker.close();
    }
  });
});

describe('errors from the partition actor', () => {
  it('name the topic, the partition and the batch size, not a slot', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      await broker.createTopic('first');
      await broker.createTopic('tiny', { partitions: 2, segmentBytes: 64 * 1024 });
      // Ten 10 kB records go out as one batch of ~100 kB, more than a 64 KiB segment holds:
      // the actor refuses it.
      const messages = Array.from({ length: 10 }, () => ({ value: new Uint8Array(10_000),
        partition: 1 }));
      const error = await broker.producer().sendBatch('tiny', messages)
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MambaError);
      const { code, message, detail } = error as MambaError;
      expect(code).toBe('RECORD_TOO_LARGE');
      expect(message).toMatch(/^tiny\/1: batch of \d+ bytes exceeds the largest batch/);
      expect(message).not.toMatch(/slot/);
      expect(detail).toMatchObject({ topic: 'tiny', partition: 1 });
    } finally {
      await broker.close();
    }
  });
});
