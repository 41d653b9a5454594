/**
 * The door's read-only views of partition logs (segments/log-reader.ts), one per partition,
 * opened on first use: Fetch and ListOffsets read batches straight out of the mappings. A
 * reader is keyed by the topic's directory id too, so a topic deleted and created again under
 * the same name gets fresh mappings. Readers of deleted topics are kept (their mappings stay
 * valid); there are at most as many as partitions ever created while the door runs.
 */
import { partitionDirectory } from '../client/index.js';
import { LogReader } from '../segments/index.js';

export class PartitionReaders {
  private readonly readers = new Map<string, LogReader>();

  constructor(private readonly dataDir: string) {}

  /** The partition's directory (its aborted-transaction index is read from there). */
  directoryOf(topic: string, partition: number): string {
    return partitionDirectory(this.dataDir, topic, partition);
  }

  get(topic: string, topicId: number, partition: number): LogReader {
    const key = `${topic}\u0000${topicId}\u0000${partition}`;
    let reader = this.readers.get(key);
    if (reader === undefined) {
      reader = LogReader.open(partitionDirectory(this.dataDir, topic, partition));
      this.readers.set(key, reader);
    }
    return reader;
  }
}
