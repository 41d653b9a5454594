/**
 * Baseline: an append-only file written with `fs.writeSync`, one call per batch, on the main
 * thread — the naive way to do what Mamba's segment log does. One file per partition under a
 * temporary directory; producer i writes partition i mod partitions. Records are fixed-size
 * in a scenario, so the file is the packed batches back to back with no framing.
 *
 * Durability: acks=0 and acks=1 return once `write` returned (the bytes are in the page
 * cache); acks=all calls `fdatasync` after every batch before acknowledging (no group commit
 * across producers: each batch pays its own sync).
 *
 * A consumer tails the files with `fs.readSync` on the same thread, polling between turns of
 * the event loop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import type { MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';

const readChunkBytes = 1024 * 1024;

class AppendLogSystem implements BenchSystem {
  readonly name = 'writesync-log';
  readonly durability: string;
  private dir = '';
  private fds: number[] = [];
  private scenario: Scenario | undefined;

  constructor(readonly acks: AcksLevel) {
    this.durability = acks === 'all'
      ? 'fs.writeSync per batch, then fdatasync per batch'
      : 'fs.writeSync per batch, no fsync (page cache)';
  }

  async unsupportedReason(): Promise<string | undefined> {
    return undefined;
  }

  async setup(scenario: Scenario): Promise<void> {
    this.scenario = scenario;
    this.dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'mamba-bench-log-'));
    for (let index = 0; index < scenario.partitionCount; index++) {
      this.fds.push(fs.openSync(this.partitionPath(index), 'a'));
    }
  }

  private partitionPath(partitionIndex: number): string {
    return path.join(this.dir, `partition-${partitionIndex}.log`);
  }

  async openProducer(producerIndex: number): Promise<BenchProducer> {
    const fd = this.fds[producerIndex % this.fds.length]!;
    const sync = this.acks === 'all';
    return {
      sendBatch(batch: MessageBatch): Promise<void> {
        let written = 0;
        while (written < batch.packed.byteLength) {
          written += fs.writeSync(fd, batch.packed, written);
        }
        if (sync) fs.fdatasyncSync(fd);
        return Promise.resolve();
      },
      close: async () => undefined,
    };
  }

  async openConsumer(consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const scenario = this.scenario!;
    // Consumer c reads partitions c, c + consumers, …, as a consumer group would split them.
    const tails: FileTail[] = [];
    for (let index = consumerIndex; index < scenario.partitionCount;
      index += scenario.consumerCount) {
      tails.push(new FileTail(this.partitionPath(index), scenario.messageSizeBytes, sink));
    }
    let open = true;
    let stopped: () => void = () => undefined;
    const whenStopped = new Promise<void>((resolve) => { stopped = resolve; });
    const poll = (): void => {
      if (!open) {
        for (const tail of tails) tail.close();
        stopped();
        return;
      }
      for (const tail of tails) tail.readAvailable();
      setImmediate(poll);
    };
    setImmediate(poll);
    return {
      close: () => {
        open = false;
        return whenStopped;
      },
    };
  }

  async teardown(): Promise<void> {
    for (const fd of this.fds) fs.closeSync(fd);
    this.fds = [];
    if (this.dir !== '') await fs.promises.rm(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}

/** Reads whole messages appended to one file since the last call. */
class FileTail {
  private readonly fd: number;
  private readonly buffer = new Uint8Array(readChunkBytes);
  private bytePosition = 0;

  constructor(filePath: string, private readonly messageSizeBytes: number,
    private readonly sink: ConsumeSink) {
    this.fd = fs.openSync(filePath, 'r');
  }

  readAvailable(): void {
    const wholeBytes = readChunkBytes - (readChunkBytes % this.messageSizeBytes);
    const readBytes = fs.readSync(this.fd, this.buffer, 0, wholeBytes, this.bytePosition);
    const usableBytes = readBytes - (readBytes % this.messageSizeBytes);
    if (usableBytes === 0) return;
    this.bytePosition += usableBytes;
    this.sink.receivedPacked(this.buffer.subarray(0, usableBytes), this.messageSizeBytes);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export const appendLogFactory: BenchSystemFactory = {
  name: 'writesync-log',
  create: (acks: AcksLevel) => new AppendLogSystem(acks),
};
