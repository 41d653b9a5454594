/**
 * Produce's check of a transactional batch (Kafka's, since KIP-890's verification): the
 * partition is in the producer's open transaction. The door's record of the partitions added
 * through it answers first (no call per batch); a partition not found there is asked of the
 * coordinator once per request (`txn-describe`), which is the authority.
 */
import { PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET } from '../../records/index.js';
import { kafkaErrorCode } from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { ProducerIdentity, TxnDescription } from '../door-protocol.js';
import { callTxn } from './txn-call.js';

export class TxnCheck {
  private described: Promise<TxnDescription | undefined> | undefined;

  constructor(private readonly context: DoorContext, private readonly transactionalId: string) {}

  /** 0 when the batch's producer added the partition to its open transaction, else the code. */
  async check(topic: string, partition: number, records: Uint8Array): Promise<number> {
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const producer: ProducerIdentity = {
      producerId: Number(view.getBigInt64(PRODUCER_ID_OFFSET)),
      producerEpoch: view.getInt16(PRODUCER_EPOCH_OFFSET),
    };
    const added = this.context.txnPartitions;
    if (added.has(this.transactionalId, producer, topic, partition)) return 0;
    this.described ??= callTxn(this.context, {
      kind: 'txn-describe', transactionalIds: [this.transactionalId],
    }).then(([description]) => description, () => undefined);
    const description = await this.described;
    if (description === undefined || description.producerId !== producer.producerId) {
      return kafkaErrorCode('INVALID_TXN_STATE');
    }
    if (description.producerEpoch > producer.producerEpoch) {
      return kafkaErrorCode('INVALID_PRODUCER_EPOCH');
    }
    const included = description.producerEpoch === producer.producerEpoch &&
      description.state === 'Ongoing' &&
      description.partitions.some((p) => p.topic === topic && p.partition === partition);
    if (!included) return kafkaErrorCode('INVALID_TXN_STATE');
    added.add(this.transactionalId, producer, [{ topic, partition }]);
    return 0;
  }
}
