// The transaction coordinator's state machine against an in-memory log, marker writer and
// offset sink (the real ones are in test/transactions/embedded.test.ts): two phases in order,
// fencing, timeouts on a manual clock, reload after a crash between Prepare and Complete, and
// producer ids never handed out twice across reloads.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/coordinator/index.js';
import { MambaError } from '../../src/errors.js';
import {
  TransactionCoordinator, applyLogRecord, decodeEntry, emptyTransactionLog,
  type LoadedTransactionLog, type TransactionLogWriter, type TxnMarker,
} from '../../src/transactions/index.js';

interface Event {
  kind: 'log' | 'marker';
  detail: string;
}

/** The log, markers and offsets of one "disk", shared by the coordinators of its "restarts". */
class World {
  readonly records: { key: Uint8Array; value: Uint8Array }[] = [];
  readonly events: Event[] = [];
  readonly markers: { topic: string; partition: number; marker: TxnMarker }[] = [];
  readonly committed = new Map<string, number>();
  /** While set, marker writes wait on it (a coordinator "killed" mid-completion). */
  markerGate: Promise<void> | undefined;
  markerFailures = 0;
  readonly topics = new Map([['a', 2], ['b', 1], ['in', 1]]);
  readonly clock = new ManualClock(1_000_000);

  readonly log: TransactionLogWriter = {
    append: async (records) => {
      for (const record of records) {
        this.records.push(record);
        const decoded = decodeEntry(record.key, record.value);
        expect(decoded.ok).toBe(true);
        if (decoded.ok && decoded.entry.kind === 'transaction') {
          this.events.push({ kind: 'log', detail: decoded.entry.record.state });
        }
      }
    },
  };

  loaded(): LoadedTransactionLog {
    const loaded = emptyTransactionLog();
    this.records.forEach((r, offset) => applyLogRecord(loaded, offset, r.key, r.value));
    return loaded;
  }

  start(): TransactionCoordinator {
    return TransactionCoordinator.start({
      log: this.log, loaded: this.loaded(), clock: this.clock,
      partitionCount: (topic) => this.topics.get(topic),
      offsets: {
        commit: async (groupId, entries) => {
          for (const e of entries) {
            this.committed.set(`${groupId}/${e.topic}/${e.partition}`, e.offset);
          }
        },
      },
      markers: {
        writeTxnMarker: async (topic, partition, marker) => {
          if (this.markerGate !== undefined) await this.markerGate;
          if (this.markerFailures > 0) {
            this.markerFailures--;
            throw new MambaError('ACTOR_UNAVAILABLE', 'actor restarting');
          }
          this.markers.push({ topic, partition, marker });
          this.events.push({ kind: 'marker', detail: `${topic}/${partition}` });
          return { offset: this.markers.length };
        },
      },
    });
  }
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

/** Lets queued promise callbacks run (the coordinator's own work is all promise chains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('TransactionCoordinator', () => {
  it('allocates a durable producer id on first init and bumps the epoch after', async () => {
    const world = new World();
    const coordinator = world.start();
    const first = await coordinator.initProducerId('t1', 60_000);
    expect(first.producerEpoch).toBe(0);
    expect(first.producerId).toBeGreaterThanOrEqual(2 ** 47);
    const second = await coordinator.initProducerId('t1', 60_000);
    expect(second).toEqual({ producerId: first.producerId, producerEpoch: 1 });
    const other = await coordinator.initProducerId('t2', 60_000);
    expect(other.producerId).not.toBe(first.producerId);
    expect(world.loaded().nextProducerIdBlock).toBeGreaterThan(other.producerId);
    await coordinator.close();
  });

  it('never hands out a producer id twice across reloads', async () => {
    const world = new World();
    const ids = new Set<number>();
    for (let restart = 0; restart < 3; restart++) {
      const coordinator = world.start();
      for (let i = 0; i < 3; i++) {
        ids.add((await coordinator.initProducerId(`r${restart}-${i}`, 60_000)).producerId);
      }
      await coordinator.close();
    }
    expect(ids.size).toBe(9);
    const reloaded = world.start();
    expect((await reloaded.initProducerId('r0-0', 60_000)).producerEpoch).toBe(1);
    expect(reloaded.coordinatorEpoch).toBe(4);
    await reloaded.close();
  });

  it('commits in two phases: Prepare durable, then markers, offsets, Complete', async () => {
    const world = new World();
    const coordinator = world.start();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000);
    await coordinator.addPartitions('t', producerId, producerEpoch,
      [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }]);
    await coordinator.addPartitions('t', producerId, producerEpoch, [{ topic: 'a', partition: 0 }]);
    await coordinator.addOffsets('t', producerId, producerEpoch, 'g');
    await coordinator.txnOffsetCommit('t', producerId, producerEpoch, 'g',
      [{ topic: 'in', partition: 0, offset: 5 }]);
    await coordinator.txnOffsetCommit('t', producerId, producerEpoch, 'g',
      [{ topic: 'in', partition: 0, offset: 7 }]);
    expect(world.committed.size).toBe(0);
    expect((await coordinator.describe('t'))?.state).toBe('Ongoing');
    world.events.length = 0;
    await coordinator.endTxn('t', producerId, producerEpoch, true);
    expect(world.events.map((e) => e.detail)).toEqual(
      ['PrepareCommit', 'a/0', 'a/1', 'CompleteCommit']);
    expect(world.markers.every((m) => m.marker.commit &&
      m.marker.producerEpoch === producerEpoch && m.marker.producerId === producerId)).toBe(true);
    expect(world.committed.get('g/in/0')).toBe(7);
    const described = await coordinator.describe('t');
    expect(described?.state).toBe('CompleteCommit');
    expect(described?.partitions).toEqual([]);
    // A retried commit of the completed transaction is answered as done; an abort is not.
    await coordinator.endTxn('t', producerId, producerEpoch, true);
    expect(await codeOf(coordinator.endTxn('t', producerId, producerEpoch, false)))
      .toBe('INVALID_TXN_STATE');
    await coordinator.close();
  });

  it('aborts: abort markers, offsets discarded', async () => {
    const world = new World();
    const coordinator = world.start();
    const { producerId, producerEpoch } = await coordinator.initProducerId('t', 60_000);
    await coordinator.addPartitions('t', producerId, producerEpoch, [{ topic: 'b', partition: 0 }]);
    await coordinator.txnOffsetCommit('t', producerId, producerEpoch, 'g',
      [{ topic: 'in', partition: 0, offset: 3 }]);
    await coordinator.endTxn('t', producerId, producerEpoch, false);
    expect(world.markers).toEqual([{ topic: 'b', partition: 0, marker: {
      producerId, producerEpoch, commit: false, coordinatorEpoch: 1 } }]);
    expect(world.committed.size).toBe(0);
    expect((await coordinator.describe('t'))?.state).toBe('CompleteAbort');
    // The next transaction starts from nothing.
    await coordinator.addPartitions('t', producerId, producerEpoch, [{ topic: 'a', partition: 1 }]);
    expect((await coordinator.describe('t'))?.partitions).toEqual([{ topic: 'a', partition: 1 }]);
    expect((await coordinator.describe('t'))?.offsets).toEqual({});
    await coordinator.close();
  });

  it('a new init fences the previous user and aborts its open transaction first', async () => {
    const world = new World();
    const coordinator = world.start();
    const old = await coordinator.initProducerId('t', 60_000);
    await coordinator.addPartitions('t', old.producerId, old.producerEpoch,
      [{ topic: 'a', partition: 0 }]);
    const fresh = await coordinator.initProducerId('t', 60_000);
    expect(fresh.producerEpoch).toBe(old.producerEpoch + 1);
    expect(world.markers).toEqual([{ topic: 'a', partition: 0, marker: {
      producerId: old.producerId, producerEpoch: fresh.producerEpoch, commit: false,
      coordinatorEpoch: 1 } }]);
    expect(await codeOf(coordinator.addPartitions('t', old.producerId, old.producerEpoch,
      [{ topic: 'b', partition: 0 }]))).toBe('PRODUCER_FENCED');
    expect(await codeOf(coordinator.endTxn('t', old.producerId, old.producerEpoch, true)))
      .toBe('PRODUCER_FENCED');
    expect(await codeOf(coordinator.initProducerId('t', 60_000, old))).toBe('PRODUCER_FENCED');
    await coordinator.close();
  });

  it('aborts a transaction whose timeout passes, and lets its producer ask again', async () => {
    const world = new World();
    const coordinator = world.start();
    const ids = await coordinator.initProducerId('t', 1_000);
    await coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'a', partition: 1 }]);
    world.clock.advance(999);
    await settle();
    expect((await coordinator.describe('t'))?.state).toBe('Ongoing');
    world.clock.advance(1);
    await eventually(async () => (await coordinator.describe('t'))?.state === 'CompleteAbort');
    expect(world.markers[0].marker).toMatchObject({ commit: false,
      producerEpoch: ids.producerEpoch + 1 });
    expect(await codeOf(coordinator.endTxn('t', ids.producerId, ids.producerEpoch, true)))
      .toBe('INVALID_PRODUCER_EPOCH');
    const again = await coordinator.initProducerId('t', 1_000, ids);
    expect(again.producerEpoch).toBe(ids.producerEpoch + 2);
    await coordinator.close();
  });

  it('after a crash between Prepare and Complete, the reload completes it', async () => {
    const world = new World();
    const coordinator = world.start();
    const ids = await coordinator.initProducerId('t', 60_000);
    await coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]);
    await coordinator.txnOffsetCommit('t', ids.producerId, ids.producerEpoch, 'g',
      [{ topic: 'in', partition: 0, offset: 11 }]);
    let release!: () => void;
    world.markerGate = new Promise<void>((resolve) => { release = resolve; });
    const ending = coordinator.endTxn('t', ids.producerId, ids.producerEpoch, true);
    await eventually(async () => world.loaded().transactions.get('t')?.state === 'PrepareCommit');
    // The "crash": this coordinator is abandoned with its markers unwritten.
    world.markerGate = undefined;
    const reloaded = world.start();
    expect(reloaded.coordinatorEpoch).toBe(2);
    await eventually(async () => (await reloaded.describe('t'))?.state === 'CompleteCommit');
    expect(world.markers.map((m) => `${m.topic}/${m.partition}`).sort()).toEqual(['a/0', 'b/0']);
    expect(world.markers.every((m) => m.marker.commit && m.marker.coordinatorEpoch === 2))
      .toBe(true);
    expect(world.committed.get('g/in/0')).toBe(11);
    release();
    await ending;
    await reloaded.close();
    await coordinator.close();
  });

  it('aborts on reload an Ongoing transaction whose timeout passed while down', async () => {
    const world = new World();
    const coordinator = world.start();
    const ids = await coordinator.initProducerId('t', 5_000);
    await coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'a', partition: 0 }]);
    await coordinator.close();
    world.clock.advance(10_000); // no timer of the closed coordinator runs
    expect(world.markers).toEqual([]);
    const reloaded = world.start();
    world.clock.advance(0);
    await eventually(async () => (await reloaded.describe('t'))?.state === 'CompleteAbort');
    expect(world.markers.map((m) => m.marker.commit)).toEqual([false]);
    await reloaded.close();
  });

  it('retries a marker its partition refuses for a while', async () => {
    const world = new World();
    const coordinator = world.start();
    const ids = await coordinator.initProducerId('t', 60_000);
    await coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'a', partition: 0 }]);
    world.markerFailures = 3;
    const ending = coordinator.endTxn('t', ids.producerId, ids.producerEpoch, true);
    for (let i = 0; i < 3; i++) {
      await settle();
      world.clock.advance(1_000);
    }
    await ending;
    expect(world.markers).toHaveLength(1);
    await coordinator.close();
  });

  it('answers bad requests with the Kafka error names', async () => {
    const world = new World();
    const coordinator = world.start();
    expect(await codeOf(coordinator.initProducerId('t', 0))).toBe('INVALID_TRANSACTION_TIMEOUT');
    expect(await codeOf(coordinator.initProducerId('t', 15 * 60_000 + 1)))
      .toBe('INVALID_TRANSACTION_TIMEOUT');
    const ids = await coordinator.initProducerId('t', 60_000);
    expect(await codeOf(coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'nope', partition: 0 }]))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await codeOf(coordinator.addPartitions('t', ids.producerId, ids.producerEpoch,
      [{ topic: 'b', partition: 1 }]))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await codeOf(coordinator.addPartitions('t', ids.producerId + 1, ids.producerEpoch,
      [{ topic: 'b', partition: 0 }]))).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(await codeOf(coordinator.addPartitions('x', ids.producerId, ids.producerEpoch,
      [{ topic: 'b', partition: 0 }]))).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(await codeOf(coordinator.endTxn('t', ids.producerId, ids.producerEpoch, true)))
      .toBe('INVALID_TXN_STATE');
    expect(await codeOf(coordinator.txnOffsetCommit('t', ids.producerId, ids.producerEpoch,
      'g', [{ topic: 'in', partition: 0, offset: -1 }]))).toBe('INVALID_OFFSET');
    await coordinator.close();
    expect(await codeOf(coordinator.initProducerId('t', 60_000))).toBe('BROKER_CLOSED');
  });
});

/** Polls `condition` (bounded), letting promise callbacks run between looks. */
async function eventually(condition: () => Promise<boolean>, attempts = 1_000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not reached');
}
