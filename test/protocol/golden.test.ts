/**
 * Golden bytes: requests kafkajs 2.2 encodes and responses real Kafka brokers sent (captured
 * in the kafkajs repository, MIT, see fixtures/LICENSE). Each decodes with the generated tables
 * and encodes back to the very same bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiSchemas, ApiKey, KafkaReader, KafkaWriter, readMessage, writeMessage,
} from '../../src/protocol/index.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const folders: Record<string, number> = {
  apiVersions: ApiKey.API_VERSIONS, metadata: ApiKey.METADATA, produce: ApiKey.PRODUCE,
  fetch: ApiKey.FETCH, listOffsets: ApiKey.LIST_OFFSETS, createTopics: ApiKey.CREATE_TOPICS,
  deleteTopics: ApiKey.DELETE_TOPICS, describeConfigs: ApiKey.DESCRIBE_CONFIGS,
  initProducerId: ApiKey.INIT_PRODUCER_ID, findCoordinator: ApiKey.FIND_COORDINATOR,
  addPartitionsToTxn: ApiKey.ADD_PARTITIONS_TO_TXN, addOffsetsToTxn: ApiKey.ADD_OFFSETS_TO_TXN,
  endTxn: ApiKey.END_TXN, txnOffsetCommit: ApiKey.TXN_OFFSET_COMMIT,
};

function load(file: string): Uint8Array {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] };
  return Uint8Array.from(json.data);
}

const cases = Object.entries(folders).flatMap(([folder, apiKey]) =>
  fs.readdirSync(path.join(fixtures, folder)).sort().map((file) => ({ folder, apiKey, file })));

describe('kafkajs golden fixtures', () => {
  it.each(cases)('$folder/$file decodes and encodes to the same bytes',
    ({ folder, apiKey, file }) => {
      const match = /^v(\d+)_(?:.*_)?(request|response)/.exec(file)!;
      const version = Number(match[1]);
      const api = apiSchemas(apiKey)!;
      const schema = match[2] === 'request' ? api.request : api.response;
      const bytes = load(path.join(fixtures, folder, file));
      const reader = new KafkaReader(bytes);
      const decoded = readMessage<object>(schema, version, reader);
      expect(reader.remaining).toBe(0);
      const writer = new KafkaWriter();
      writeMessage(schema, version, decoded, writer);
      expect(Buffer.from(writer.toBytes()).equals(Buffer.from(bytes))).toBe(true);
    });
});
