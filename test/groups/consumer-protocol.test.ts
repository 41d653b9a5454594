/**
 * Kafka's ConsumerProtocol bytes as the embedded member writes and reads them, checked against
 * kafkajs's own encoder and decoder (AssignerProtocol), the bytes a kafkajs leader or follower
 * sends and expects.
 */
import { expect, it } from 'vitest';
import { AssignerProtocol } from 'kafkajs';
import {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
} from '../../src/client/groups/consumer-protocol.js';

it('reads the subscriptions kafkajs writes, and kafkajs reads the ones written here', () => {
  const theirs = AssignerProtocol.MemberMetadata.encode({
    version: 1, topics: ['orders', 'payments'], userData: Buffer.from('x'),
  });
  expect(decodeSubscription(theirs)).toEqual(['orders', 'payments']);
  const ours = AssignerProtocol.MemberMetadata.decode(Buffer.from(encodeSubscription(['a', 'b'])));
  expect(ours?.topics).toEqual(['a', 'b']);
});

it('reads the assignments kafkajs writes, and kafkajs reads the ones written here', () => {
  const theirs = AssignerProtocol.MemberAssignment.encode({
    version: 0, assignment: { orders: [0, 2], payments: [1] }, userData: Buffer.alloc(0),
  });
  expect(decodeAssignment(theirs)).toEqual([
    { topic: 'orders', partition: 0 }, { topic: 'orders', partition: 2 },
    { topic: 'payments', partition: 1 },
  ]);
  const ours = AssignerProtocol.MemberAssignment.decode(Buffer.from(encodeAssignment([
    { topic: 'a', partition: 3 }, { topic: 'b', partition: 0 }, { topic: 'a', partition: 4 },
  ])));
  expect(ours?.assignment).toEqual({ a: [3, 4], b: [0] });
  // A member the leader left out gets empty bytes: no partitions.
  expect(decodeAssignment(new Uint8Array(0))).toEqual([]);
});
