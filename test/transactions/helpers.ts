/**
 * Low-level transactional traffic for the partition-side tests: batches with the transactional
 * bit sent through the main producer session (the path every embedded producer's batches take
 * to the actors), and markers through `Supervisor.writeTxnMarker` (what the transaction
 * coordinator calls).
 */
import { Broker } from '../../src/index.js';
import { ACKS_ALL } from '../../src/shm/index.js';
import { ATTRIBUTE_TRANSACTIONAL } from '../../src/records/index.js';
import type { ControlBlock, TopicDirectory } from '../../src/shm/index.js';
import type { ProducerSession } from '../../src/client/producer-session.js';
import type { Supervisor } from '../../src/supervisor/index.js';

interface Internals {
  supervisor: Supervisor;
  mainSession: ProducerSession;
  directory: TopicDirectory;
  controlBlock: ControlBlock;
}

function internals(broker: Broker): Internals {
  return broker as unknown as Internals;
}

export function slotOf(broker: Broker, topic: string, partition: number): number {
  const location = internals(broker).directory.lookup(topic);
  if (location === undefined) throw new Error(`no topic ${topic}`);
  return location.firstSlot + partition;
}

export function lastStableOffset(broker: Broker, topic: string, partition: number): number {
  return internals(broker).controlBlock.lastStableOffset(slotOf(broker, topic, partition));
}

export function highWatermark(broker: Broker, topic: string, partition: number): number {
  return internals(broker).controlBlock.highWatermark(slotOf(broker, topic, partition));
}

/** One producer of transactional batches with its own sequence per partition. */
export class TxnSender {
  private readonly sequences = new Map<number, number>();

  constructor(private readonly broker: Broker, readonly producerId: number,
    public producerEpoch = 0) {}

  /** Sends `values` as one transactional batch (acks all); resolves with its base offset. */
  send(topic: string, partition: number,
    values: Array<string | { key: string; value: string }>, transactional = true):
    Promise<number> {
    const baseSequence = this.sequences.get(partition) ?? 0;
    this.sequences.set(partition, baseSequence + values.length);
    const { mainSession } = internals(this.broker);
    return new Promise((resolve, reject) => {
      mainSession.submit({
        slot: slotOf(this.broker, topic, partition), topic, partition, acks: ACKS_ALL,
        records: values.map((v) => (typeof v === 'string' ? { value: Buffer.from(v) }
          : { key: Buffer.from(v.key), value: Buffer.from(v.value) })),
        timeoutMs: 10_000,
        meta: () => ({
          producerId: BigInt(this.producerId), producerEpoch: this.producerEpoch, baseSequence,
          attributes: transactional ? ATTRIBUTE_TRANSACTIONAL : 0,
        }),
        settle: (error, baseOffset) => (error === undefined ? resolve(baseOffset)
          : reject(error)),
      });
    });
  }

  /** Writes this producer's commit or abort marker into a partition. */
  marker(topic: string, partition: number, commit: boolean): Promise<{ offset: number }> {
    return internals(this.broker).supervisor.writeTxnMarker(topic, partition, {
      producerId: this.producerId, producerEpoch: this.producerEpoch, commit,
      coordinatorEpoch: 0,
    });
  }

  /** A new epoch (as the coordinator's initProducerId would give): sequences restart. */
  bumpEpoch(): void {
    this.producerEpoch += 1;
    this.sequences.clear();
  }
}
