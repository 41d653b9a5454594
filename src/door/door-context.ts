/**
 * Everything a request handler in the door worker may use: the producer session (produce goes
 * through the same rings as embedded producers), the control block (high-watermarks, log
 * starts), the topic directory and cache, the partition readers, the broker link for admin
 * calls, and the door's configuration.
 */
import os from 'node:os';
import { ControlBlock, PARTITION_CHANGE_COUNT } from '../shm/index.js';
import { ProducerSession } from '../client/index.js';
import { TopicDirectory } from '../shm/index.js';
import { BrokerLink } from './broker-link.js';
import type { DoorConfig, DoorWorkerData } from './door-protocol.js';
import { PartitionReaders } from './partition-readers.js';
import { TopicCache } from './topic-cache.js';

/** The one node of this single-host cluster. */
export const NODE_ID = 0;
export const CLUSTER_ID = 'mamba-single-host';

export class DoorContext {
  readonly session: ProducerSession;
  readonly controlBlock: ControlBlock;
  readonly directory: TopicDirectory;
  readonly topics: TopicCache;
  readonly readers: PartitionReaders;
  readonly config: DoorConfig;
  advertised = { host: '127.0.0.1', port: 0 };
  /** Set once the door closes: long polls answer with what they have. */
  isClosed = false;
  /** Resolves when the door closes, to end long polls early. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(data: DoorWorkerData, readonly broker: BrokerLink) {
    this.config = data.config;
    this.session = new ProducerSession(data.session);
    this.controlBlock = new ControlBlock(data.session.controlBlock);
    this.directory = new TopicDirectory(data.session.topicDirectory);
    this.topics = new TopicCache(this.directory, broker);
    this.readers = new PartitionReaders(data.dataDir);
    this.closed = new Promise((resolve) => { this.markClosed = resolve; });
  }

  /** Sets the address Metadata advertises, once the listener is bound. */
  bound(host: string, port: number): void {
    const wildcard = host === '0.0.0.0' || host === '::';
    this.advertised = {
      host: this.config.advertisedHost ?? (wildcard ? os.hostname() : host),
      port: this.config.advertisedPort ?? port,
    };
  }

  close(): void {
    this.isClosed = true;
    this.markClosed();
    this.session.close();
  }

  /**
   * Resolves once any of the partition slots' change counters moved from the values seen, the
   * time is up, or the door closes. One timer bounds the wait; the `waitAsync`s left pending
   * hold nothing alive and settle on their own.
   */
  async waitForChange(slots: readonly number[], seen: readonly number[],
    timeoutMs: number): Promise<void> {
    const words = this.controlBlock.i32;
    const waits: Array<Promise<unknown>> = [this.closed];
    for (let i = 0; i < slots.length; i++) {
      const index = this.controlBlock.partitionWord(slots[i], PARTITION_CHANGE_COUNT);
      const result = atomics.waitAsync(words, index, seen[i], timeoutMs);
      if (!result.async) return;
      waits.push(result.value);
    }
    let timer: NodeJS.Timeout | undefined;
    waits.push(new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); }));
    await Promise.race(waits);
    clearTimeout(timer);
  }
}

const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number):
    { async: false; value: string } | { async: true; value: Promise<string> };
};
