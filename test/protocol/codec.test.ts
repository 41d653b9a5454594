/**
 * Flexible versions (compact encodings, tagged fields, header v2) and bad input, which the
 * kafkajs captures do not cover: kafkajs never sends a flexible version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import {
  ApiKey, apiSchemas, decodeRequest, decodeResponse, defaultsOf, encodeRequest, encodeResponse,
  KafkaReader, KafkaWriter, readMessage, writeMessage, type FetchResponse,
} from '../../src/protocol/index.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(chunks));
}

describe('flexible versions', () => {
  it('decodes the ApiVersions v3 request librdkafka opens with (header v2, compact strings)',
    () => {
      const bytes = Uint8Array.from([
        0, 18, 0, 3, 0, 0, 0, 7, 0, 7, ...Buffer.from('rdkafka'), 0, // header v2
        11, ...Buffer.from('librdkafka'), 6, ...Buffer.from('2.0.2'), 0, // compact body
      ]);
      const request = decodeRequest<{ clientSoftwareName: string;
        clientSoftwareVersion: string }>(bytes);
      expect(request.header).toMatchObject({
        requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'rdkafka',
      });
      expect(request.body).toEqual({
        clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2',
      });
    });

  it('answers ApiVersions v3 with response header v0 and a compact array', () => {
    const api = apiSchemas(ApiKey.API_VERSIONS)!;
    const body = {
      errorCode: 0, throttleTimeMs: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    };
    const frame = concat(encodeResponse(api, 3, 9, body));
    expect([...frame]).toEqual([
      0, 0, 0, 19, 0, 0, 0, 9, // size, correlation id; no header tags
      0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, // error, [key min max tags], throttle, tags
    ]);
  });

  it('writes a tagged field only when it differs from its default, and reads it back', () => {
    const api = apiSchemas(ApiKey.FETCH)!;
    const response = defaultsOf<FetchResponse>(api.response);
    const partition = defaultsOf<FetchResponse['responses'][0]['partitions'][0]>(
      { ...api.response, fields: api.response.fields[3].fields![2].fields! });
    partition.records = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
    response.responses = [{ topic: '', topicId: '6b1e2c9a-1f0e-4d1c-9a55-0c1d2e3f4a5b',
      partitions: [partition, { ...partition, partitionIndex: 1,
        divergingEpoch: { epoch: 4, endOffset: 77n } }] }];
    for (const version of [12, 13, 16]) {
      const frame = concat(encodeResponse(api, version, 1, response));
      const decoded = decodeResponse<FetchResponse>(api, version, frame.subarray(4));
      const [first, second] = decoded.body.responses[0].partitions;
      expect(first.divergingEpoch).toEqual({ epoch: -1, endOffset: -1n });
      expect(second.divergingEpoch).toEqual({ epoch: 4, endOffset: 77n });
      expect(Buffer.from(second.records!).equals(Buffer.from(partition.records))).toBe(true);
      if (version >= 13) {
        expect(decoded.body.responses[0].topicId).toBe('6b1e2c9a-1f0e-4d1c-9a55-0c1d2e3f4a5b');
      }
    }
  });

  it('round-trips a Metadata v12 request through the client direction', () => {
    const api = apiSchemas(ApiKey.METADATA)!;
    const body = { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }],
      allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false };
    const frame = concat(encodeRequest(api, 12, 5, 'me', body));
    expect(new DataView(frame.buffer).getInt32(0)).toBe(frame.length - 4);
    const decoded = decodeRequest(frame.subarray(4));
    expect(decoded.header).toMatchObject({ requestApiVersion: 12, correlationId: 5 });
    expect(decoded.body).toMatchObject(body);
  });
});

describe('bad input', () => {
  const api = apiSchemas(ApiKey.PRODUCE)!;
  const valid = concat(encodeRequest(api, 9, 1, 'c', {
    transactionalId: null, acks: -1, timeoutMs: 1000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records: new Uint8Array(70) }] }],
  })).subarray(4);

  it('rejects every truncation of a valid request with INVALID_REQUEST', () => {
    for (let cut = 0; cut < valid.length; cut++) {
      expect(() => decodeRequest(valid.subarray(0, cut)), `cut at ${cut}`)
        .toThrow(MambaError);
    }
  });

  it('rejects garbage after a valid request, unknown keys and versions', () => {
    const garbage = Uint8Array.from([...valid, 1, 2, 3]);
    expect(() => decodeRequest(garbage)).toThrow(/bytes after the body/);
    const unknownKey = Uint8Array.from(valid);
    unknownKey[1] = 99;
    expect(() => decodeRequest(unknownKey)).toThrow(/unknown API key/);
    const unknownVersion = Uint8Array.from(valid);
    unknownVersion[3] = 99;
    expect(() => decodeRequest(unknownVersion)).toThrow(/unknown version/);
  });

  it('decodes mutated frames or rejects them with INVALID_REQUEST, never anything else', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
      (flips) => {
        const bytes = Uint8Array.from(valid);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        try {
          decodeRequest(bytes);
        } catch (error) {
          expect(MambaError.is(error, 'INVALID_REQUEST')).toBe(true);
        }
      }), { numRuns: 5000, seed: 11 });
  });

  it('bounds an array count by the bytes left', () => {
    const writer = new KafkaWriter();
    writer.int32(0x7fff_ffff);
    const reader = new KafkaReader(writer.toBytes());
    const schema = apiSchemas(ApiKey.DELETE_TOPICS)!.request;
    expect(() => readMessage(schema, 0, reader)).toThrow(/array count/);
    expect(() => writeMessage(schema, 0, { topicNames: ['a'], timeoutMs: 1 }, new KafkaWriter()))
      .not.toThrow();
  });
});
