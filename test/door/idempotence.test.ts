/**
 * Idempotent producers over the wire, on the producer table the partition actors keep (the one
 * embedded producers use): InitProducerId, a duplicate acknowledged with its first offsets and
 * no second append, a sequence gap refused with OUT_OF_ORDER_SEQUENCE_NUMBER, a stale epoch with
 * INVALID_PRODUCER_EPOCH — also after the actor crashed and recovered its table from the log.
 */
import { afterEach, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { ApiKey, kafkaErrorCode, type ProduceResponse } from '../../src/protocol/index.js';
import { encodeBatch } from '../../src/records/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

let broker: Broker | undefined;
let client: WireClient | undefined;

afterEach(async () => {
  client?.close();
  await broker?.close();
  broker = undefined;
});

function batch(producerId: bigint, producerEpoch: number, baseSequence: number, count: number) {
  const records = Array.from({ length: count }, (_, i) => ({
    key: null, value: new TextEncoder().encode(`v${baseSequence + i}`), headers: [],
  }));
  return encodeBatch(records, { producerId, producerEpoch, baseSequence });
}

async function produce(records: Uint8Array) {
  const response = await client!.call<ProduceResponse>(ApiKey.PRODUCE, 7, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }],
  });
  const partition = response.responses[0].partitionResponses[0];
  return { errorCode: partition.errorCode, baseOffset: Number(partition.baseOffset) };
}

it('applies Kafka\'s sequence rules to wire producers, across an actor crash', async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('idem', { partitions: 1 });
  const door = await broker.listen({ port: 0 });
  client = await WireClient.connect(door.address().port);
  const init = await client.call<{ errorCode: number; producerId: bigint;
    producerEpoch: number }>(ApiKey.INIT_PRODUCER_ID, 1,
    { transactionalId: null, transactionTimeoutMs: 60_000 });
  expect(init.errorCode).toBe(0);
  const { producerId } = init;
  expect(producerId > 0n).toBe(true);

  expect(await produce(batch(producerId, 0, 0, 3))).toEqual({ errorCode: 0, baseOffset: 0 });
  expect(await produce(batch(producerId, 0, 3, 2))).toEqual({ errorCode: 0, baseOffset: 3 });
  // The same batch again (a retry after a lost response): its first offsets, nothing appended.
  expect(await produce(batch(producerId, 0, 3, 2))).toEqual({ errorCode: 0, baseOffset: 3 });
  expect((await broker.describeTopic('idem')).partitions[0].highWatermark).toBe(5);
  // A gap: sequence 7 where 5 is next.
  expect((await produce(batch(producerId, 0, 7, 1))).errorCode)
    .toBe(kafkaErrorCode('OUT_OF_ORDER_SEQUENCE_NUMBER'));

  // The actor dies and recovers its producer table from the log.
  await broker.crashActor(0, 'terminate');
  await broker.settled();
  expect(await produce(batch(producerId, 0, 3, 2))).toEqual({ errorCode: 0, baseOffset: 3 });
  expect(await produce(batch(producerId, 0, 5, 1))).toEqual({ errorCode: 0, baseOffset: 5 });
  // A bumped epoch starts again at 0; the old epoch is then fenced.
  expect(await produce(batch(producerId, 1, 0, 1))).toEqual({ errorCode: 0, baseOffset: 6 });
  expect((await produce(batch(producerId, 0, 6, 1))).errorCode)
    .toBe(kafkaErrorCode('INVALID_PRODUCER_EPOCH'));
  expect((await broker.describeTopic('idem')).partitions[0].highWatermark).toBe(7);
});
