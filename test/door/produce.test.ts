/**
 * Produce over the wire: what the door refuses and with which Kafka error (a batch failing its
 * CRC, an old message format, a batch over the size limit, an unknown topic), and acks 0,
 * which gets no response at all.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import {
  ApiKey, apiSchemas, encodeRequest, kafkaErrorCode, type MetadataResponse, type ProduceResponse,
} from '../../src/protocol/index.js';
import { BATCH_LENGTH_OFFSET, MAGIC_OFFSET, encodeBatch } from '../../src/records/index.js';
import { batchSizeBytesMax } from '../../src/constants.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

let broker: Broker;
let client: WireClient;
let port: number;

beforeEach(async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('p', { partitions: 1 });
  port = (await broker.listen({ port: 0 })).address().port;
  client = await WireClient.connect(port);
});

afterEach(async () => {
  client.close();
  await broker.close();
});

function produceBody(records: Uint8Array, acks = -1, topic = 'p') {
  return {
    transactionalId: null, acks, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

async function errorOf(records: Uint8Array, topic = 'p'): Promise<number> {
  const response = await client.call<ProduceResponse>(ApiKey.PRODUCE, 8,
    produceBody(records, -1, topic));
  return response.responses[0].partitionResponses[0].errorCode;
}

const valid = () => encodeBatch([{ key: null, value: new TextEncoder().encode('ok') }]);

it('refuses bad batches with the Kafka error for each, and stores none of them', async () => {
  expect(await errorOf(valid())).toBe(0);
  const corrupt = valid();
  corrupt[corrupt.length - 1] ^= 0xff;
  expect(await errorOf(corrupt)).toBe(kafkaErrorCode('CORRUPT_MESSAGE'));
  const oldFormat = valid();
  oldFormat[MAGIC_OFFSET] = 1;
  expect(await errorOf(oldFormat)).toBe(kafkaErrorCode('UNSUPPORTED_FOR_MESSAGE_FORMAT'));
  // A batch that says it is over the limit (the producer-side encoder refuses to make one).
  const tooLarge = new Uint8Array(batchSizeBytesMax + 64);
  tooLarge.set(valid());
  new DataView(tooLarge.buffer).setInt32(BATCH_LENGTH_OFFSET, tooLarge.length - 12);
  expect(await errorOf(tooLarge)).toBe(kafkaErrorCode('MESSAGE_TOO_LARGE'));
  expect(await errorOf(valid().subarray(0, 40))).toBe(kafkaErrorCode('CORRUPT_MESSAGE'));
  expect(await errorOf(valid(), 'missing')).toBe(kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION'));
  expect((await broker.describeTopic('p')).partitions[0].highWatermark).toBe(1);
  await expect(broker.describeTopic('missing')).rejects.toThrow(MambaError);
});

it('sends no response for acks 0, and still stores the batch', async () => {
  const produce = Buffer.concat(encodeRequest(apiSchemas(ApiKey.PRODUCE)!, 7, 41, 'x',
    produceBody(valid(), 0)));
  client.sendRaw(produce);
  const metadata = await client.call<MetadataResponse>(ApiKey.METADATA, 1, {
    topics: [{ name: 'p' }],
  });
  expect(metadata.topics[0].name).toBe('p');
  const deadline = Date.now() + 5_000;
  while ((await broker.describeTopic('p')).partitions[0].highWatermark < 1 &&
    Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect((await broker.describeTopic('p')).partitions[0].highWatermark).toBe(1);
});
