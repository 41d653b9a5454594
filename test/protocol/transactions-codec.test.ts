/**
 * The transaction APIs' bytes: every version the door advertises, both directions, encodes and
 * decodes back to the fields that version carries (the others at their defaults); one
 * flexible request checked byte by byte against Kafka's encoding; and ApiVersions advertising
 * exactly the client versions. (kafkajs's v0 captures are in golden.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { handlerFor } from '../../src/door/apis/index.js';
import {
  ApiKey, apiSchemas, decodeRequest, decodeResponse, encodeRequest, encodeResponse, inRange,
  type FieldSchema,
} from '../../src/protocol/index.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(chunks));
}

/** What a message of `version` holds of `value`: its fields, the others at their defaults. */
function project(fields: readonly FieldSchema[], value: Record<string, unknown>,
  version: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const present = inRange(field.versions, version);
    const given = value[field.name];
    if (field.type === 'struct') {
      out[field.name] = project(field.fields!, present ? given as Record<string, unknown> : {},
        version);
    } else if (field.type === 'array' && field.fields !== undefined) {
      out[field.name] = present ? (given as Array<Record<string, unknown>>).map((entry) =>
        project(field.fields!, entry, version)) : field.default;
    } else {
      out[field.name] = present ? given : field.default;
    }
  }
  return out;
}

const topics = [{ name: 'orders', partitions: [0, 2] }, { name: 'audit', partitions: [1] }];
const producer = { producerId: 4_242_424_242n, producerEpoch: 7 };

const samples: Record<number, { request: object; response: object }> = {
  [ApiKey.INIT_PRODUCER_ID]: {
    request: { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, ...producer },
    response: { throttleTimeMs: 0, errorCode: 0, ...producer },
  },
  [ApiKey.ADD_PARTITIONS_TO_TXN]: {
    request: {
      transactions: [], v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: 12n,
      v3AndBelowProducerEpoch: 3, v3AndBelowTopics: topics,
    },
    response: {
      throttleTimeMs: 5, errorCode: 0, resultsByTransaction: [],
      resultsByTopicV3AndBelow: topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({
          partitionIndex: p, partitionErrorCode: 48,
        })),
      })),
    },
  },
  [ApiKey.ADD_OFFSETS_TO_TXN]: {
    request: { transactionalId: 'tx-1', ...producer, groupId: 'billing' },
    response: { throttleTimeMs: 0, errorCode: 51 },
  },
  [ApiKey.END_TXN]: {
    request: { transactionalId: 'tx-1', ...producer, committed: true },
    response: { throttleTimeMs: 0, errorCode: 90, producerId: -1n, producerEpoch: -1 },
  },
  [ApiKey.TXN_OFFSET_COMMIT]: {
    request: {
      transactionalId: 'tx-1', groupId: 'billing', ...producer, generationId: 4,
      memberId: 'member-1', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [
        { partitionIndex: 0, committedOffset: 99n, committedLeaderEpoch: 2,
          committedMetadata: 'm' },
        { partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1,
          committedMetadata: null },
      ] }],
    },
    response: {
      throttleTimeMs: 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 },
        { partitionIndex: 1, errorCode: 47 }] }],
    },
  },
  [ApiKey.LIST_TRANSACTIONS]: {
    request: { stateFilters: ['Ongoing'], producerIdFilters: [12n], durationFilter: 5_000n },
    response: {
      throttleTimeMs: 0, errorCode: 0, unknownStateFilters: ['Sleeping'],
      transactionStates: [
        { transactionalId: 'tx-1', producerId: 12n, transactionState: 'Ongoing' },
      ],
    },
  },
  [ApiKey.DESCRIBE_TRANSACTIONS]: {
    request: { transactionalIds: ['tx-1', 'tx-2'] },
    response: {
      throttleTimeMs: 0,
      transactionStates: [{
        errorCode: 0, transactionalId: 'tx-1', transactionState: 'Ongoing',
        transactionTimeoutMs: 60_000, transactionStartTimeMs: 1_700_000_000_000n, ...producer,
        topics: [{ topic: 'orders', partitions: [0, 2] }],
      }],
    },
  },
};

const cases = Object.entries(samples).flatMap(([key, sample]) => {
  const [min, max] = handlerFor(Number(key))!.versions;
  return Array.from({ length: max - min + 1 }, (_, i) => ({
    apiKey: Number(key), name: apiSchemas(Number(key))!.name, version: min + i, sample,
  }));
});

describe('transaction APIs on the wire', () => {
  it.each(cases)('$name v$version: request and response round-trip',
    ({ apiKey, version, sample }) => {
      const api = apiSchemas(apiKey)!;
      const request = concat(encodeRequest(api, version, 17, 'client', sample.request));
      const decoded = decodeRequest<object>(request.subarray(4));
      expect(decoded.header).toMatchObject({
        requestApiKey: apiKey, requestApiVersion: version, correlationId: 17,
      });
      expect(decoded.body).toEqual(project(api.request.fields,
        sample.request as Record<string, unknown>, version));
      const response = concat(encodeResponse(api, version, 17, sample.response));
      const answer = decodeResponse<object>(api, version, response.subarray(4));
      expect(answer.body).toEqual(project(api.response.fields,
        sample.response as Record<string, unknown>, version));
    });

  it('encodes EndTxn v3 (flexible) as Kafka does, byte by byte', () => {
    const api = apiSchemas(ApiKey.END_TXN)!;
    const frame = concat(encodeRequest(api, 3, 1, 'c', {
      transactionalId: 'tx', producerId: 258n, producerEpoch: 3, committed: true,
    }));
    const header = [0, 26, 0, 3, 0, 0, 0, 1, 0, 1, 0x63, 0]; // key, version, id, "c", no tags
    const body = [3, 0x74, 0x78, 0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 1, 0]; // compact "tx", …, no tags
    expect([...frame.subarray(4)]).toEqual([...header, ...body]);
  });

  it('advertises the client versions of the transaction APIs, not the broker-only ones', () => {
    expect(handlerFor(ApiKey.ADD_PARTITIONS_TO_TXN)!.versions).toEqual([0, 3]);
    expect(handlerFor(ApiKey.ADD_OFFSETS_TO_TXN)!.versions).toEqual([0, 4]);
    expect(handlerFor(ApiKey.END_TXN)!.versions).toEqual([0, 4]);
    expect(handlerFor(ApiKey.TXN_OFFSET_COMMIT)!.versions).toEqual([0, 4]);
    expect(handlerFor(ApiKey.INIT_PRODUCER_ID)!.versions).toEqual([0, 5]);
  });
});
