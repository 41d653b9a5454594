/**
 * The door's record of partitions added to open transactions (Produce's fast check): exact on
 * producer id and epoch, forgotten on demand, bounded (the oldest id goes first).
 */
import { expect, it } from 'vitest';
import { TxnPartitions } from '../../src/door/txn-partitions.js';

const producer = { producerId: 7, producerEpoch: 2 };

it('answers for the producer id and epoch that added the partition only', () => {
  const added = new TxnPartitions();
  added.add('tx', producer, [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 3 }]);
  expect(added.has('tx', producer, 'a', 0)).toBe(true);
  expect(added.has('tx', producer, 'b', 3)).toBe(true);
  expect(added.has('tx', producer, 'a', 1)).toBe(false);
  expect(added.has('tx', { producerId: 7, producerEpoch: 3 }, 'a', 0)).toBe(false);
  expect(added.has('other', producer, 'a', 0)).toBe(false);
  // A new epoch starts afresh: the old epoch's partitions are not carried over.
  added.add('tx', { producerId: 7, producerEpoch: 3 }, [{ topic: 'c', partition: 0 }]);
  expect(added.has('tx', producer, 'a', 0)).toBe(false);
  expect(added.has('tx', { producerId: 7, producerEpoch: 3 }, 'a', 0)).toBe(false);
  added.forget('tx');
  expect(added.has('tx', { producerId: 7, producerEpoch: 3 }, 'c', 0)).toBe(false);
});

it('remembers at most 10 000 transactional ids, forgetting the oldest first', () => {
  const added = new TxnPartitions();
  for (let i = 0; i <= 10_000; i++) {
    added.add(`tx-${i}`, producer, [{ topic: 't', partition: 0 }]);
  }
  expect(added.has('tx-0', producer, 't', 0)).toBe(false);
  expect(added.has('tx-1', producer, 't', 0)).toBe(true);
  expect(added.has('tx-10000', producer, 't', 0)).toBe(true);
});
