/**
 * Which partition a record goes to.
 * - `murmur2` (default): a keyed record goes where Kafka's default partitioner puts it; keyless
 *   records stick to one partition until its batch is sealed, then move on (Kafka's sticky
 *   partitioner), which keeps batches full.
 * - `round-robin`: every record to the next partition in turn.
 * - a function `(key, partitionCount) => partition`.
 */
import { MambaError } from '../errors.js';
import type { Partitioner } from '../options.js';
import { murmur2Partition } from './murmur2.js';

export class PartitionChooser {
  private roundRobin = 0;
  private readonly sticky = new Map<string, number>();

  constructor(private readonly partitioner: Partitioner) {}

  choose(topic: string, key: Uint8Array | null, partitionCount: number): number {
    const partitioner = this.partitioner;
    if (typeof partitioner === 'function') {
      const partition = partitioner(key, partitionCount);
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new MambaError('INVALID_PARTITION',
          `partitioner returned ${partition} for a topic of ${partitionCount} partitions`);
      }
      return partition;
    }
    if (partitioner === 'round-robin') return this.roundRobin++ % partitionCount;
    if (key !== null) return murmur2Partition(key, partitionCount);
    let partition = this.sticky.get(topic);
    if (partition === undefined || partition >= partitionCount) {
      partition = this.roundRobin++ % partitionCount;
      this.sticky.set(topic, partition);
    }
    return partition;
  }

  /** A batch of `topic` was sealed: keyless records move to the next partition. */
  batchSealed(topic: string): void {
    this.sticky.delete(topic);
  }
}
