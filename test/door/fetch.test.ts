/**
 * Fetch semantics over the wire: long-poll on the high-watermark (max_wait, min_bytes), the
 * first batch whole even when larger than max_bytes, exact high-watermark and log start,
 * OFFSET_OUT_OF_RANGE past the end, unknown topic IDs.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { ApiKey, kafkaErrorCode, type FetchResponse } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

let broker: Broker;
let client: WireClient;

beforeEach(async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('f', { partitions: 1 });
  client = await WireClient.connect((await broker.listen({ port: 0 })).address().port);
});

afterEach(async () => {
  client.close();
  await broker.close();
});

function fetch(offset: number, options: { maxWaitMs?: number; minBytes?: number;
  maxBytes?: number } = {}) {
  return client.call<FetchResponse>(ApiKey.FETCH, 11, {
    replicaId: -1, maxWaitMs: options.maxWaitMs ?? 0, minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'f', partitions: [{ partition: 0, fetchOffset: BigInt(offset),
      logStartOffset: -1n, partitionMaxBytes: options.maxBytes ?? 1 << 20,
      currentLeaderEpoch: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  }).then((response) => response.responses[0].partitions[0]);
}

it('waits for data up to max_wait and answers as soon as it arrives', async () => {
  const empty = await fetch(0, { maxWaitMs: 50 });
  expect(empty.errorCode).toBe(0);
  expect(empty.highWatermark).toBe(0n);
  expect(empty.records!.length).toBe(0);
  const waiting = fetch(0, { maxWaitMs: 20_000 });
  const producer = broker.producer({ acks: 1, lingerMs: 0 });
  const startedMs = Date.now();
  await producer.send('f', { value: 'arrives' });
  const answered = await waiting;
  expect(Date.now() - startedMs).toBeLessThan(15_000);
  expect(answered.highWatermark).toBe(1n);
  expect(answered.lastStableOffset).toBe(1n);
  expect(answered.logStartOffset).toBe(0n);
  expect(Buffer.from(answered.records!).includes(Buffer.from('arrives'))).toBe(true);
  await producer.close();
});

it('gives the first batch whole past max_bytes, and OFFSET_OUT_OF_RANGE past the end', async () => {
  const producer = broker.producer({ acks: 1, lingerMs: 0 });
  await producer.send('f', { value: 'x'.repeat(5000) });
  await producer.send('f', { value: 'y'.repeat(5000) });
  await producer.close();
  const first = await fetch(0, { maxBytes: 100 });
  expect(first.records!.length).toBeGreaterThan(5000);
  expect(first.records!.length).toBeLessThan(10_000);
  expect((await fetch(2)).records!.length).toBe(0);
  expect((await fetch(3)).errorCode).toBe(kafkaErrorCode('OFFSET_OUT_OF_RANGE'));
});

it('answers a fetch by an unknown topic ID with UNKNOWN_TOPIC_ID', async () => {
  const response = await client.call<FetchResponse>(ApiKey.FETCH, 13, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1,
    topics: [{ topicId: '11111111-2222-3333-4444-555555555555', partitions: [{ partition: 0,
      fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1024, currentLeaderEpoch: -1,
      lastFetchedEpoch: -1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  expect(response.responses[0].partitions[0].errorCode).toBe(kafkaErrorCode('UNKNOWN_TOPIC_ID'));
});

it('reports every partition\'s offsets, also those past max_bytes', async () => {
  await broker.createTopic('two', { partitions: 2 });
  const producer = broker.producer({ acks: 1, lingerMs: 0 });
  await producer.send('two', { value: 'a'.repeat(3000), partition: 0 });
  await producer.send('two', { value: 'b'.repeat(3000), partition: 1 });
  await producer.close();
  const response = await client.call<FetchResponse>(ApiKey.FETCH, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 100, isolationLevel: 0, sessionId: 0,
    sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: 'two', partitions: [0, 1].map((partition) => ({ partition,
      fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20,
      currentLeaderEpoch: -1 })) }],
  });
  const [first, second] = response.responses[0].partitions;
  expect(first.records!.length).toBeGreaterThan(3000);
  expect(second.records!.length).toBe(0);
  expect(second.highWatermark).toBe(1n);
  expect(second.logStartOffset).toBe(0n);
});
