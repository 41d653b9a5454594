/**
 * The transaction APIs at the byte level against a real `broker.listen()` (Mamba's own wire
 * client, so each request is exactly what the test says): ApiVersions, FindCoordinator key
 * type 1, InitProducerId → AddPartitionsToTxn → Produce → EndTxn, Produce's check that the
 * partition was added, Fetch's last stable offset and aborted transactions, ListOffsets by
 * isolation level, DescribeTransactions / ListTransactions, and fencing answered with the
 * code each API version knows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import {
  ApiKey, kafkaErrorCode, type AddPartitionsToTxnResponse, type ApiVersionsResponse,
  type DescribeTransactionsResponse, type EndTxnResponse, type FetchResponse,
  type FindCoordinatorResponse, type InitProducerIdResponse, type ListOffsetsResponse,
  type JoinGroupResponse, type ListTransactionsResponse, type OffsetFetchResponse,
  type ProduceResponse, type TxnOffsetCommitResponse,
} from '../../src/protocol/index.js';
import {
  ATTRIBUTE_CONTROL, ATTRIBUTE_TRANSACTIONAL, encodeBatch,
} from '../../src/records/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

let broker: Broker | undefined;
let client: WireClient | undefined;

beforeEach(async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('t', { partitions: 2 });
  client = await WireClient.connect((await broker.listen({ port: 0 })).address().port);
});

afterEach(async () => {
  client?.close();
  await broker?.close();
  broker = undefined;
});

const code = kafkaErrorCode;

async function init(transactionalId: string | null, version = 1) {
  return client!.call<InitProducerIdResponse>(ApiKey.INIT_PRODUCER_ID, version, {
    transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1,
  });
}

async function addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number,
  topics: Array<{ name: string; partitions: number[] }>) {
  const response = await client!.call<AddPartitionsToTxnResponse>(
    ApiKey.ADD_PARTITIONS_TO_TXN, 1, {
      v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics,
    });
  return response.resultsByTopicV3AndBelow.flatMap((t) =>
    t.resultsByPartition.map((p) => [t.name, p.partitionIndex, p.partitionErrorCode]));
}

function txnBatch(producerId: bigint, producerEpoch: number, baseSequence: number,
  values: string[]): Uint8Array {
  return encodeBatch(values.map((v) => ({ key: null, value: new TextEncoder().encode(v) })),
    { producerId, producerEpoch, baseSequence, attributes: ATTRIBUTE_TRANSACTIONAL });
}

async function produce(transactionalId: string | null, partition: number,
  records: Uint8Array) {
  const response = await client!.call<ProduceResponse>(ApiKey.PRODUCE, 7, {
    transactionalId, acks: -1, timeoutMs: 5000,
    topicData: [{ name: 't', partitionData: [{ index: partition, records }] }],
  });
  return response.responses[0].partitionResponses[0];
}

async function endTxn(transactionalId: string, producerId: bigint, producerEpoch: number,
  committed: boolean, version = 1) {
  return (await client!.call<EndTxnResponse>(ApiKey.END_TXN, version, {
    transactionalId, producerId, producerEpoch, committed,
  })).errorCode;
}

async function fetchPartition(partition: number, isolationLevel: number) {
  const response = await client!.call<FetchResponse>(ApiKey.FETCH, 4, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel,
    topics: [{ topic: 't',
      partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  return response.responses[0].partitions[0];
}

/** The batches of a fetched record set: base offset, control bit, record count. */
function batchesOf(records: Uint8Array | null): Array<[number, boolean, number]> {
  const out: Array<[number, boolean, number]> = [];
  if (records === null) return out;
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  for (let at = 0; at < records.length; at += view.getInt32(at + 8) + 12) {
    out.push([Number(view.getBigInt64(at)), (view.getInt16(at + 21) & ATTRIBUTE_CONTROL) !== 0,
      view.getInt32(at + 57)]);
  }
  return out;
}

async function latest(isolationLevel: number): Promise<number> {
  const response = await client!.call<ListOffsetsResponse>(ApiKey.LIST_OFFSETS, 2, {
    replicaId: -1, isolationLevel,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
  });
  return Number(response.topics[0].partitions[0].offset);
}

describe('transactions on the wire', () => {
  it('advertises the transaction APIs and names this node the transaction coordinator',
    async () => {
      const versions = await client!.call<ApiVersionsResponse>(ApiKey.API_VERSIONS, 2, {});
      const range = (key: number) => versions.apiKeys.filter((k) => k.apiKey === key)
        .map((k) => [k.minVersion, k.maxVersion]);
      expect(range(ApiKey.INIT_PRODUCER_ID)).toEqual([[0, 5]]);
      expect(range(ApiKey.ADD_PARTITIONS_TO_TXN)).toEqual([[0, 3]]);
      expect(range(ApiKey.ADD_OFFSETS_TO_TXN)).toEqual([[0, 4]]);
      expect(range(ApiKey.END_TXN)).toEqual([[0, 4]]);
      expect(range(ApiKey.TXN_OFFSET_COMMIT)).toEqual([[0, 4]]);
      expect(range(ApiKey.DESCRIBE_TRANSACTIONS)).toEqual([[0, 0]]);
      expect(range(ApiKey.LIST_TRANSACTIONS)).toEqual([[0, 1]]);
      const found = await client!.call<FindCoordinatorResponse>(ApiKey.FIND_COORDINATOR, 2,
        { key: 'tx', keyType: 1 });
      expect([found.errorCode, found.nodeId]).toEqual([0, 0]);
      const batched = await client!.call<FindCoordinatorResponse>(ApiKey.FIND_COORDINATOR, 4,
        { keyType: 1, coordinatorKeys: ['a', 'b'] });
      expect(batched.coordinators.map((c) => [c.key, c.errorCode, c.nodeId]))
        .toEqual([['a', 0, 0], ['b', 0, 0]]);
    });

  it('runs a transaction: added partitions only, LSO held while open, abort indexed',
    async () => {
      const { errorCode, producerId, producerEpoch } = await init('w');
      expect(errorCode).toBe(0);
      // A transactional batch for a partition not added, and one without a transactional id.
      expect((await produce('w', 0, txnBatch(producerId, producerEpoch, 0, ['a']))).errorCode)
        .toBe(code('INVALID_TXN_STATE'));
      expect((await produce(null, 0, txnBatch(producerId, producerEpoch, 0, ['a']))).errorCode)
        .toBe(code('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
      // Kafka's pre-checks: an unknown topic fails, the rest is not attempted.
      expect(await addPartitions('w', producerId, producerEpoch,
        [{ name: 't', partitions: [0] }, { name: 'nope', partitions: [0] }])).toEqual([
        ['t', 0, code('OPERATION_NOT_ATTEMPTED')], ['nope', 0, code('UNKNOWN_TOPIC_OR_PARTITION')],
      ]);
      // Counted like every error answered inside a body.
      expect(await broker!.metrics())
        .toContain('mamba_door_errors_total{code="OPERATION_NOT_ATTEMPTED"} 1');
      expect(await addPartitions('w', producerId, producerEpoch,
        [{ name: 't', partitions: [0] }])).toEqual([['t', 0, 0]]);
      expect((await produce('w', 0, txnBatch(producerId, producerEpoch, 0, ['a', 'b'])))
        .errorCode).toBe(0);
      // Partition 1 was not added: still refused.
      expect((await produce('w', 1, txnBatch(producerId, producerEpoch, 0, ['c']))).errorCode)
        .toBe(code('INVALID_TXN_STATE'));

      const open = await fetchPartition(0, 1);
      expect([open.highWatermark, open.lastStableOffset]).toEqual([2n, 0n]);
      expect(batchesOf(open.records)).toEqual([]);
      expect(batchesOf((await fetchPartition(0, 0)).records)).toEqual([[0, false, 2]]);
      expect([await latest(0), await latest(1)]).toEqual([2, 0]);

      const described = await client!.call<DescribeTransactionsResponse>(
        ApiKey.DESCRIBE_TRANSACTIONS, 0, { transactionalIds: ['w', 'unknown'] });
      expect(described.transactionStates.map((s) => [s.transactionalId, s.errorCode,
        s.transactionState, s.producerId, s.topics])).toEqual([
        ['w', 0, 'Ongoing', producerId, [{ topic: 't', partitions: [0] }]],
        ['unknown', code('TRANSACTIONAL_ID_NOT_FOUND'), '', -1n, []],
      ]);
      const listed = await client!.call<ListTransactionsResponse>(ApiKey.LIST_TRANSACTIONS, 1, {
        stateFilters: ['Ongoing', 'Sleeping'], producerIdFilters: [], durationFilter: -1n,
      });
      expect(listed.unknownStateFilters).toEqual(['Sleeping']);
      expect(listed.transactionStates).toContainEqual(
        { transactionalId: 'w', producerId, transactionState: 'Ongoing' });

      expect(await endTxn('w', producerId, producerEpoch, false)).toBe(0);
      const ended = await fetchPartition(0, 1);
      expect([ended.highWatermark, ended.lastStableOffset]).toEqual([3n, 3n]);
      // The aborted batch and its marker (a control batch) are sent; the aborted list says
      // which producer's batches from which offset to drop.
      expect(batchesOf(ended.records)).toEqual([[0, false, 2], [2, true, 1]]);
      expect(ended.abortedTransactions).toEqual([{ producerId, firstOffset: 0n }]);
      expect((await fetchPartition(0, 0)).abortedTransactions).toBeNull();
      expect([await latest(0), await latest(1)]).toEqual([3, 3]);
      // Ended: its partitions must be added again.
      expect((await produce('w', 0, txnBatch(producerId, producerEpoch, 2, ['d']))).errorCode)
        .toBe(code('INVALID_TXN_STATE'));
    });

  it('fences the previous producer, answering each version with the code it knows',
    async () => {
      const first = await init('f');
      const second = await init('f', 4);
      expect(second.producerId).toBe(first.producerId);
      expect(second.producerEpoch).toBe(first.producerEpoch + 1);
      expect(await endTxn('f', first.producerId, first.producerEpoch, true, 1))
        .toBe(code('INVALID_PRODUCER_EPOCH'));
      expect(await endTxn('f', first.producerId, first.producerEpoch, true, 2))
        .toBe(code('PRODUCER_FENCED'));
      expect(await addPartitions('f', first.producerId, first.producerEpoch,
        [{ name: 't', partitions: [1] }])).toEqual([['t', 1, code('INVALID_PRODUCER_EPOCH')]]);
      // The fenced producer's batch: its epoch is behind the transactional id's.
      expect((await produce('f', 1, txnBatch(first.producerId, first.producerEpoch, 0, ['z'])))
        .errorCode).toBe(code('INVALID_PRODUCER_EPOCH'));
      // An idempotent producer (no transactional id) is not the coordinator's.
      expect((await init(null)).errorCode).toBe(0);
    });

  it('wakes a waiting read_committed fetch when the transaction commits', async () => {
    const { producerId, producerEpoch } = await init('wake');
    expect(await addPartitions('wake', producerId, producerEpoch,
      [{ name: 't', partitions: [1] }])).toEqual([['t', 1, 0]]);
    expect((await produce('wake', 1, txnBatch(producerId, producerEpoch, 0, ['w'])))
      .errorCode).toBe(0);
    // A second connection waits (max_wait 30 s) for a byte below the LSO, which the open
    // transaction holds at 0; the commit must wake it, long before max_wait.
    const waiter = await WireClient.connect(client!.socket.remotePort!);
    try {
      const waiting = waiter.call<FetchResponse>(ApiKey.FETCH, 4, {
        replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1,
        topics: [{ topic: 't',
          partitions: [{ partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      expect(await endTxn('wake', producerId, producerEpoch, true)).toBe(0);
      let timer: NodeJS.Timeout | undefined;
      const first = await Promise.race([waiting.then(() => 'fetch'),
        new Promise((resolve) => { timer = setTimeout(() => resolve('max_wait'), 20_000); })]);
      clearTimeout(timer);
      expect(first).toBe('fetch');
      const answer = (await waiting).responses[0].partitions[0];
      expect(answer.lastStableOffset).toBe(2n);
      expect(batchesOf(answer.records)).toEqual([[0, false, 1], [1, true, 1]]);
    } finally {
      waiter.close();
    }
  });

  it("refuses a zombie member's transactional offsets (TxnOffsetCommit v3, KIP-447)",
    async () => {
      const { producerId, producerEpoch } = await init('eos');
      const added = await client!.call<{ errorCode: number }>(ApiKey.ADD_OFFSETS_TO_TXN, 3, {
        transactionalId: 'eos', producerId, producerEpoch, groupId: 'readers' });
      expect(added.errorCode).toBe(0);
      const joined = await client!.call<JoinGroupResponse>(ApiKey.JOIN_GROUP, 5, {
        groupId: 'readers', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '',
        groupInstanceId: null, protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 116, 0,
          0, 0, 0]) }] });
      expect(joined.errorCode).toBe(0);
      const synced = await client!.call<{ errorCode: number }>(ApiKey.SYNC_GROUP, 3, {
        groupId: 'readers', generationId: joined.generationId, memberId: joined.memberId,
        groupInstanceId: null, assignments: [] });
      expect(synced.errorCode).toBe(0);
      const txnCommit = async (memberId: string, generationId: number, offset: bigint) => {
        const response = await client!.call<TxnOffsetCommitResponse>(
          ApiKey.TXN_OFFSET_COMMIT, 3, {
            transactionalId: 'eos', groupId: 'readers', producerId, producerEpoch,
            generationId, memberId, groupInstanceId: null,
            topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset,
              committedLeaderEpoch: -1, committedMetadata: null }] }] });
        return response.topics[0].partitions[0].errorCode;
      };
      expect(await txnCommit(joined.memberId, joined.generationId + 1, 9n))
        .toBe(code('ILLEGAL_GENERATION'));
      expect(await txnCommit('gone-member', joined.generationId, 8n))
        .toBe(code('UNKNOWN_MEMBER_ID'));
      expect(await txnCommit(joined.memberId, joined.generationId, 0n)).toBe(0);
      expect(await endTxn('eos', producerId, producerEpoch, true)).toBe(0);
      // Only the live member's offset was committed with the transaction.
      const fetched = await client!.call<OffsetFetchResponse>(ApiKey.OFFSET_FETCH, 4, {
        groupId: 'readers', topics: [{ name: 't', partitionIndexes: [0] }] });
      expect(fetched.topics[0].partitions[0].committedOffset).toBe(0n);
    });
});
