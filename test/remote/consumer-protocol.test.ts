/**
 * Kafka's ConsumerProtocol bytes as the remote group member writes and reads them: round
 * trips, golden bytes of a v0 subscription, and a later version (v1, with owned partitions)
 * read for the fields v0 has.
 */
import { expect, it } from 'vitest';
import { KafkaWriter } from '../../src/protocol/index.js';
import {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
} from '../../src/remote/consumer-protocol.js';

it('writes a v0 subscription byte for byte', () => {
  expect([...encodeSubscription(['ab'])]).toEqual([
    0, 0, // version
    0, 0, 0, 1, 0, 2, 97, 98, // topics: ["ab"]
    0xff, 0xff, 0xff, 0xff, // user data: null
  ]);
});

it('round-trips subscriptions and assignments', () => {
  expect(decodeSubscription(encodeSubscription(['orders', 'billing'])))
    .toEqual(['orders', 'billing']);
  const partitions = [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 3 },
    { topic: 'b', partition: 1 }];
  expect(decodeAssignment(encodeAssignment(partitions))).toEqual(partitions);
  expect(decodeAssignment(new Uint8Array(0))).toEqual([]);
});

it('reads the v0 fields of a v1 subscription (owned partitions after the user data)', () => {
  const writer = new KafkaWriter();
  writer.int16(1);
  writer.int32(1);
  writer.string('orders', false);
  writer.bytes(new Uint8Array([1, 2]), false);
  writer.int32(1);
  writer.string('orders', false);
  writer.int32(1);
  writer.int32(4);
  expect(decodeSubscription(writer.toBytes())).toEqual(['orders']);
});
