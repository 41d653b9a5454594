/**
 * The partitions each transactional producer has added to its open transaction through this
 * door (AddPartitionsToTxn answered without error), so that Produce can check a transactional
 * batch's partition was added — Kafka's check — without a call to the main thread per batch.
 * A partition not found here is asked of the coordinator (`txn-describe`) before it is refused:
 * the coordinator is the authority, this is its cache. Forgotten when the transaction ends or
 * the producer is initialised again through the door. Bounded: at most `producersMax`
 * transactional ids are remembered (the oldest forgotten first; a forgotten one is asked of the
 * coordinator again).
 *
 * Each door keeps its own record. A transaction ended through another door of the same broker
 * (two `broker.listen()` calls) is not forgotten here, so a client that skipped
 * AddPartitionsToTxn in its next transaction, same epoch, would pass this check on this door —
 * Kafka's own gap before KIP-890 verification; clients always add partitions first. Timeouts
 * and fencing bump the epoch, which this record and the actors both check.
 */
import type { ProducerIdentity, TxnPartition } from './door-protocol.js';

const producersMax = 10_000;

interface Added extends ProducerIdentity {
  partitions: Set<string>;
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class TxnPartitions {
  private readonly byId = new Map<string, Added>();

  /** Records partitions the coordinator accepted for the producer's open transaction. */
  add(transactionalId: string, producer: ProducerIdentity, partitions: TxnPartition[]): void {
    let added = this.byId.get(transactionalId);
    if (added === undefined || added.producerId !== producer.producerId ||
      added.producerEpoch !== producer.producerEpoch) {
      added = { ...producer, partitions: new Set() };
      this.byId.delete(transactionalId);
      this.byId.set(transactionalId, added);
      if (this.byId.size > producersMax) this.byId.delete(this.byId.keys().next().value!);
    }
    for (const p of partitions) added.partitions.add(keyOf(p.topic, p.partition));
  }

  /** Whether the producer (this id and epoch) added the partition to its open transaction. */
  has(transactionalId: string, producer: ProducerIdentity, topic: string,
    partition: number): boolean {
    const added = this.byId.get(transactionalId);
    return added !== undefined && added.producerId === producer.producerId &&
      added.producerEpoch === producer.producerEpoch &&
      added.partitions.has(keyOf(topic, partition));
  }

  /** The transaction ended (or the producer was initialised again): nothing is added. */
  forget(transactionalId: string): void {
    this.byId.delete(transactionalId);
  }
}
