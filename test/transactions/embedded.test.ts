// The embedded transaction API against a real broker (actors in worker threads, the
// coordinator's log in its compacted topic, markers through the supervisor): what a
// read_committed consumer sees after commit and abort, offsets sent in a transaction,
// fencing, one open transaction per producer, the timeout, and producer ids across reopens.
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, MambaError, type Consumer } from '../../src/index.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const decoder = new TextDecoder();
let broker: Broker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function open(dataDir = tempDir()): Promise<Broker> {
  broker = await Broker.open({ dataDir, actors: 2 });
  return broker;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MambaError) return error.code;
    throw error;
  }
  return 'resolved';
}

/**
 * Everything a read_committed consumer reads from `topic`, up to an end mark: a plain record
 * sent to every partition now, after whatever the test did (visible once what precedes it is
 * decided, since a read_committed reader stops at the last stable offset).
 */
async function readCommitted(b: Broker, topic: string): Promise<string[]> {
  const { partitions } = await b.describeTopic(topic);
  const marks = b.producer({ acks: 'all' });
  await Promise.all(partitions.map((p) =>
    marks.send(topic, { partition: p.partition, value: 'END' })));
  await marks.close();
  const consumer: Consumer = b.consumer({ fromBeginning: true, isolation: 'read_committed' });
  await consumer.subscribe(topic);
  const values: string[] = [];
  let ends = 0;
  for await (const message of consumer) {
    const value = decoder.decode(message.value!);
    if (value === 'END') {
      if (++ends === partitions.length) break;
      continue;
    }
    values.push(value);
  }
  await consumer.close();
  return values.sort();
}

async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000):
Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('embedded transactions', () => {
  it('commit makes every record visible to read_committed, abort none', async () => {
    const b = await open();
    await b.createTopic('a', { partitions: 3 });
    await b.createTopic('b', { partitions: 2 });
    const producer = b.producer({ transactionalId: 'writer' });
    const committed = await producer.transaction();
    await committed.sendBatch('a', Array.from({ length: 12 },
      (_, i) => ({ key: `k${i}`, value: `c-a${i}` })));
    await committed.send('b', { partition: 1, value: 'c-b0' });
    await committed.sendBatch('b', [{ partition: 0, value: 'c-b1' }]);
    expect((await b.describeTransaction('writer'))?.state).toBe('Ongoing');
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.sendBatch('a', Array.from({ length: 9 }, (_, i) => ({ value: `x-a${i}` })));
    await aborted.send('b', { value: 'x-b' });
    await aborted.abort();
    const described = await b.describeTransaction('writer');
    expect(described?.state).toBe('CompleteAbort');
    // A read_uncommitted reader sees the aborted records too: they are in the log.
    const dirty = b.consumer({ fromBeginning: true, isolation: 'read_uncommitted' });
    await dirty.subscribe('b');
    const seen: string[] = [];
    for await (const message of dirty) {
      seen.push(decoder.decode(message.value!));
      if (seen.length === 3) break;
    }
    await dirty.close();
    expect(seen.sort()).toEqual(['c-b0', 'c-b1', 'x-b']);
    expect(await readCommitted(b, 'a')).toEqual(
      Array.from({ length: 12 }, (_, i) => `c-a${i}`).sort());
    expect(await readCommitted(b, 'b')).toEqual(['c-b0', 'c-b1']);
  });

  it('sendOffsets commits the group offset only when the transaction commits', async () => {
    const b = await open();
    await b.createTopic('in', { partitions: 2 });
    await b.createTopic('out', { partitions: 1 });
    const plain = b.producer();
    await plain.sendBatch('in', Array.from({ length: 6 },
      (_, i) => ({ partition: i % 2, value: `in${i}` })));
    const consumer = b.consumer({ groupId: 'g', fromBeginning: true, autoCommit: false });
    await consumer.subscribe('in');
    const producer = b.producer({ transactionalId: 'etl' });

    const abandoned = await producer.transaction();
    await abandoned.send('out', { value: 'lost' });
    await abandoned.sendOffsets({ consumer, topics: [{ topic: 'in',
      partitions: [{ partition: 0, offset: 3 }] }] });
    expect(b.committedOffset('g', 'in', 0)).toBeUndefined();
    await abandoned.abort();
    expect(b.committedOffset('g', 'in', 0)).toBeUndefined();

    const tx = await producer.transaction();
    await tx.send('out', { value: 'kept' });
    await tx.sendOffsets({ groupId: 'g', topics: [{ topic: 'in', partitions: [
      { partition: 0, offset: 2 }, { partition: 1, offset: 1 }] }] });
    await tx.sendOffsets({ consumer, topics: [{ topic: 'in',
      partitions: [{ partition: 0, offset: 3 }] }] });
    expect((await b.describeTransaction('etl'))?.offsets).toEqual({ g: [
      { topic: 'in', partition: 0, offset: 3, metadata: null },
      { topic: 'in', partition: 1, offset: 1, metadata: null },
    ] });
    expect(b.committedOffset('g', 'in', 0)).toBeUndefined();
    await tx.commit();
    expect(b.committedOffset('g', 'in', 0)).toBe(3);
    expect(b.committedOffset('g', 'in', 1)).toBe(1);
    expect(await readCommitted(b, 'out')).toEqual(['kept']);
    await consumer.close();
    expect(await codeOf(tx.sendOffsets({ topics: [] }))).toBe('INVALID_CONFIG');
  });

  it('a second producer with the same transactionalId fences the first', async () => {
    const b = await open();
    await b.createTopic('t', { partitions: 2 });
    const first = b.producer({ transactionalId: 'shared' });
    const old = await first.transaction();
    await old.send('t', { partition: 0, value: 'old-0' });
    const second = b.producer({ transactionalId: 'shared' });
    const fresh = await second.transaction();
    // The first producer's open transaction was aborted with the new epoch: its next send to
    // a partition it had (refused by the partition) or a new one (refused by the coordinator),
    // and its commit, are fenced.
    expect(await codeOf(old.send('t', { partition: 0, value: 'old-1' }))).toBe('PRODUCER_FENCED');
    expect(await codeOf(old.commit())).toBe('PRODUCER_FENCED');
    expect(await codeOf(first.transaction())).toBe('PRODUCER_FENCED');
    await fresh.send('t', { partition: 1, value: 'new' });
    await fresh.commit();
    expect(await readCommitted(b, 't')).toEqual(['new']);
  });

  it('a fenced producer that never wrote to a partition is fenced there too', async () => {
    const b = await open();
    await b.createTopic('t', { partitions: 2 });
    const first = b.producer({ transactionalId: 'shared' });
    const old = await first.transaction();
    await old.send('t', { partition: 0, value: 'old-0' });
    const second = b.producer({ transactionalId: 'shared' });
    await second.transaction();
    expect(await codeOf(old.send('t', { partition: 1, value: 'old-1' }))).toBe('PRODUCER_FENCED');
  });

  it('keeps one open transaction per producer and refuses sends outside one', async () => {
    const b = await open();
    await b.createTopic('t', { partitions: 1 });
    const producer = b.producer({ transactionalId: 'single' });
    expect(await codeOf(producer.send('t', { value: 'outside' }))).toBe('INVALID_TXN_STATE');
    const tx = await producer.transaction();
    expect(await codeOf(producer.transaction())).toBe('INVALID_TXN_STATE');
    expect(await codeOf(tx.send('t', { value: 'later', delayMs: 1_000 })))
      .toBe('INVALID_CONFIG');
    await tx.send('t', { value: 'in' });
    await tx.commit();
    expect(await codeOf(tx.send('t', { value: 'after' }))).toBe('INVALID_TXN_STATE');
    expect(await codeOf(tx.commit())).toBe('INVALID_TXN_STATE');
    // An empty transaction commits without touching the coordinator's partitions.
    await (await producer.transaction()).commit();
    expect(await codeOf(b.producer().transaction())).toBe('INVALID_TXN_STATE');
    expect(await readCommitted(b, 't')).toEqual(['in']);
  });

  it('aborts a transaction that outlives its timeout; the producer carries on', async () => {
    const b = await open();
    await b.createTopic('t', { partitions: 1 });
    const producer = b.producer({ transactionalId: 'slow', transactionTimeoutMs: 300 });
    const stalled = await producer.transaction();
    await stalled.send('t', { value: 'stalled' });
    await eventually(async () =>
      (await b.describeTransaction('slow'))?.state === 'CompleteAbort');
    // The partition saw the abort marker's newer epoch: the late send is refused there, and
    // the commit learns from the coordinator that the transaction timed out (not fenced).
    expect(await codeOf(stalled.send('t', { value: 'late' }))).toBe('PRODUCER_FENCED');
    expect(await codeOf(stalled.commit())).toBe('INVALID_PRODUCER_EPOCH');
    const next = await producer.transaction();
    await next.send('t', { value: 'next' });
    await next.commit();
    expect((await b.describeTransaction('slow'))?.producerEpoch).toBe(2);
    expect(await readCommitted(b, 't')).toEqual(['next']);
  });

  it('keeps producer ids unique and epochs rising across reopens', async () => {
    const dataDir = tempDir();
    const ids = new Map<string, number>();
    for (let round = 0; round < 2; round++) {
      const b = await open(dataDir);
      if (round === 0) await b.createTopic('t', { partitions: 1 });
      for (const name of [`r${round}-a`, `r${round}-b`, 'again']) {
        const producer = b.producer({ transactionalId: name });
        const tx = await producer.transaction();
        await tx.send('t', { value: name });
        await tx.commit();
        const described = (await b.describeTransaction(name))!;
        if (name === 'again') {
          if (round === 0) ids.set(name, described.producerId);
          expect(described.producerId).toBe(ids.get(name));
          expect(described.producerEpoch).toBe(round);
        } else {
          ids.set(name, described.producerId);
        }
      }
      await b.close();
      broker = undefined;
    }
    expect(new Set(ids.values()).size).toBe(ids.size);
  });

  it('reloads its state from the transaction log after the log is compacted', async () => {
    const dataDir = tempDir();
    let b = await open(dataDir);
    await b.createTopic('t', { partitions: 2 });
    const producers = ['p0', 'p1'].map((transactionalId) => b.producer({ transactionalId }));
    for (let round = 0; round < 10; round++) {
      for (const [index, producer] of producers.entries()) {
        const tx = await producer.transaction();
        await tx.send('t', { partition: index, value: `r${round}` });
        if (round % 2 === 0) await tx.commit();
        else await tx.abort();
      }
    }
    const before = await Promise.all(['p0', 'p1'].map((id) => b.describeTransaction(id)));
    const [cleaned] = await b.compact('__mamba_transaction_state');
    expect(cleaned).toBeDefined();
    await b.close();
    b = await open(dataDir);
    const stored = readTopic(dataDir, '__mamba_transaction_state', 1);
    // Per key the latest record stays (2 transactional ids, the id block, the epoch), plus
    // what the reopen added: far fewer than the 80-odd state changes written.
    expect(stored.length).toBeLessThan(20);
    expect(await Promise.all(['p0', 'p1'].map((id) => b.describeTransaction(id))))
      .toEqual(before);
    const fresh = await b.producer({ transactionalId: 'p2' }).transaction();
    await fresh.commit();
    const ids = await Promise.all(['p0', 'p1', 'p2'].map(
      async (id) => (await b.describeTransaction(id))!.producerId));
    expect(new Set(ids).size).toBe(3);
  });

  it('validates transactional options at the edge', async () => {
    const b = await open();
    const invalid = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return MambaError.is(error, 'INVALID_CONFIG');
      }
      return false;
    };
    expect(invalid(() => b.producer({ transactionalId: 'x', acks: 1 }))).toBe(true);
    expect(invalid(() => b.producer({ transactionalId: 'x', idempotent: false }))).toBe(true);
    expect(invalid(() => b.producer({ transactionalId: '' }))).toBe(true);
    expect(invalid(() => b.producer({ transactionTimeoutMs: 1_000 }))).toBe(true);
    expect(invalid(() => b.producer({ transactionalId: 'x',
      transactionTimeoutMs: 15 * 60_000 + 1 }))).toBe(true);
    expect(invalid(() => b.producerHandle({ transactionalId: 'x' }))).toBe(true);
    // Over Broker.connect a transactionalId is refused, not ignored.
    const door = await b.listen({ host: '127.0.0.1', port: 0 });
    const remote = await Broker.connect({ brokers: [`127.0.0.1:${door.address().port}`] });
    try {
      expect(invalid(() => remote.producer({ transactionalId: 'x' }))).toBe(true);
    } finally {
      await remote.close();
    }
  });
});
