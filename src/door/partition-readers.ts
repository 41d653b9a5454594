/**
 * The door's read-only views of partition logs (segments/log-reader.ts), one per partition,
 * opened on first use: Fetch and ListOffsets read batches straight out of the mappings. A
 * reader is keyed by the topic's directory id too, so a topic deleted and created again under
 * the same name gets fresh mappings.
 */
import { partitionDirectory } from '../client/consumer-fetcher.js';
import { LogReader } from '../segments/index.js';

export class PartitionReaders {
  private readonly readers = new Map<string, LogReader>();

  constructor(private readonly dataDir: string) {}

  get(topic: string, topicId: number, partition: number): LogReader {
    const key = `${topic}\u0000${topicId}\u0000${partition}`;
    let reader = this.readers.get(key);
    if (reader === undefined) {
      reader = LogReader.open(partitionDirectory(this.dataDir, topic, partition));
      this.readers.set(key, reader);
    }
    return reader;
  }

  /** Forgets the readers of topics that no longer exist under that id. */
  prune(live: (topic: string, topicId: number) => boolean): void {
    for (const key of this.readers.keys()) {
      const [topic, topicId] = key.split('\u0000');
      if (!live(topic, Number(topicId))) this.readers.delete(key);
    }
  }
}
