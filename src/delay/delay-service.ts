/**
 * The delay service: the broker-side half of delayed delivery (issue 13). Producers park
 * delayed messages in `__mamba_delayed` (client/delayed-message.ts); this service, on the
 * broker's main thread and never inside an actor, follows that log, keeps one compact slot per
 * pending message in a hierarchical timing wheel (timing-wheel.ts), and when a slot is due reads
 * the parked record back from the log (parked-reader.ts) and produces it to its target with an
 * idempotent, `acks: 'all'` producer: a tick's deliveries to a partition as one batch, and
 * while a partition has the producer's window of batches in flight, what falls due is held
 * and sent merged when one settles (`submit`).
 *
 * Durable state, and what a crash (of the process, at any point) leaves:
 *
 * | state                          | where                              | after a crash          |
 * | ------------------------------ | ---------------------------------- | ---------------------- |
 * | parked messages, due times     | `__mamba_delayed` (a normal topic) | as its acks level says |
 * | which parked offsets are done  | checkpoint file, every second      | the last checkpoint    |
 * | deliveries since that          | the target logs: each record has   | found by scanning the  |
 * | checkpoint                     | header `mamba.delay.source`        | targets from the ends  |
 * |                                |                                    | in the checkpoint      |
 *
 * Recovery (`start`): read the checkpoint (done set + target ends), forget done bits past the
 * delayed log's end (a power loss cut it), rebuild the wheel by scanning the delayed log from
 * the checkpoint's low offset (slots only for offsets not done), then scan each target partition
 * that a message due by now could have gone to, from its recorded end, for `mamba.delay.source`
 * headers: those messages were delivered after the checkpoint and are marked done, not sent
 * again. The checkpoint records for each target partition the lowest end it had when any
 * delivery in flight at that moment was submitted, so no delivery missing from its done set can
 * sit below the end it records: nothing is delivered twice, and nothing due is skipped.
 */
import { assert } from '../assert.js';
import {
  batchBytesDefault, delayedCheckpointIntervalMs, delayedInFlightCountMax,
  delayedScanRecordCountMax, delayedTopicName, inFlightBatchesPerPartitionMax, timerDelayMsMax,
} from '../constants.js';
import { MambaError } from '../errors.js';
import { MmapStorage, LogReader, type SegmentStorage } from '../segments/index.js';
import { PARTITION_CHANGE_COUNT, type ControlBlock, type TopicDirectory } from '../shm/index.js';
import {
  DELAY_DUE_HEADER, DELAY_PARTITION_HEADER, DELAY_SOURCE_HEADER, DELAY_TIMESTAMP_HEADER,
  DELAY_TOPIC_HEADER, partitionDirectory, type Message, type Producer,
} from '../client/index.js';
import type { DecodedRecord } from '../records/index.js';
import { DeliveredSet } from './delivered-set.js';
import { ParkedReader } from './parked-reader.js';
import { checkpointPath, encodeCheckpoint, readCheckpoint } from './delay-checkpoint.js';
import { scanLog } from './log-scan.js';
import { TimingWheel } from './timing-wheel.js';

export interface DelayServiceContext {
  dataDir: string;
  controlBlock: ControlBlock;
  directory: TopicDirectory;
  /** Idempotent, acks 'all': the deliveries' producer. */
  producer: Producer;
  storage?: SegmentStorage;
}

export interface DelayStats {
  /** Parked messages in the wheel, not yet handed to the producer. */
  pendingCount: number;
  /** Handed to the producer, not yet acknowledged. */
  inFlightCount: number;
  deliveredCount: number;
  /** Parked messages dropped: their topic or partition is gone, or the record is not one. */
  droppedCount: number;
  /** Bytes of the wheel's slots and of the done bitmap: all the memory pending messages take. */
  wheelMemoryBytes: number;
  deliveredSetMemoryBytes: number;
  /** Every parked offset below it is done. */
  lowOffset: number;
  /** The delayed log has been read up to here. */
  scanOffset: number;
  /** Deliveries recovery found already made (after the last checkpoint) and did not repeat. */
  recoveredDeliveries: number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number):
    { async: false; value: string } | { async: true; value: Promise<string> };
};
const retryDelayMs = 100;
/**
 * A tick's deliveries to one partition go as one batch up to about this many bytes: the
 * producer's default batch size (the service's producer has the defaults).
 */
const deliveryBatchBytesMax = batchBytesDefault;
/** Bytes of a record's framing besides key, value and headers, at most (varints, deltas). */
const recordOverheadBytes = 32;

interface Target {
  topic: string;
  partition: number;
  slot: number;
}

/** Deliveries to one partition, sent as one batch. */
interface Delivery {
  target: Target;
  /** Their parked offsets, ascending; `messages[i]` is the one parked at `offsets[i]`. */
  offsets: number[];
  messages: Message[];
  sizeBytes: number;
}

export class DelayService {
  private readonly storage: SegmentStorage;
  private readonly slot: number;
  private readonly reader: LogReader;
  private readonly parked: ParkedReader;
  private wheel = new TimingWheel(Date.now());
  private done = new DeliveredSet();
  private scanOffset = 0;
  /** Due offsets waiting for room among the in-flight deliveries. */
  private dueQueue: number[] = [];
  /** In flight: parked offset → the target and its log end when the send was submitted. */
  private readonly inFlight = new Map<number, { target: Target; endAtSubmit: number }>();
  /** Per target slot: batches handed to the producer and not settled. */
  private readonly batchesInFlight = new Map<number, number>();
  /** Per target slot: due deliveries waiting for one of its batches to settle (`submit`). */
  private readonly held = new Map<number, Delivery[]>();
  private heldCount = 0;
  private readonly stats = { deliveredCount: 0, droppedCount: 0, recoveredDeliveries: 0 };
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> | undefined;
  /** The last checkpoint written, encoded with writtenAtMs 0 (see writeCheckpoint). */
  private lastCheckpoint: Uint8Array | undefined;
  private waitArmed = false;
  private seenChange = 0;
  private stopped = false;
  private ticking = false;
  private idleWaiters: Array<() => void> = [];

  private constructor(private readonly context: DelayServiceContext) {
    this.storage = context.storage ?? new MmapStorage();
    const location = context.directory.lookup(delayedTopicName);
    assert(location !== undefined, 'the delayed topic exists before its service starts');
    this.slot = location.firstSlot;
    this.reader = LogReader.open(partitionDirectory(context.dataDir, delayedTopicName, 0),
      this.storage);
    this.parked = new ParkedReader(this.reader);
  }

  /** Recovers from the checkpoint (see the table above), writes a fresh one, and runs. */
  static async start(context: DelayServiceContext): Promise<DelayService> {
    const service = new DelayService(context);
    service.recover();
    await service.writeCheckpoint();
    service.checkpointTimer = setInterval(() => { void service.checkpoint(); },
      delayedCheckpointIntervalMs);
    service.checkpointTimer.unref();
    service.tick();
    return service;
  }

  get statistics(): DelayStats {
    return {
      pendingCount: this.wheel.pendingCount + this.dueQueue.length + this.heldCount,
      inFlightCount: this.inFlight.size,
      ...this.stats,
      wheelMemoryBytes: this.wheel.memoryBytes,
      deliveredSetMemoryBytes: this.done.memoryBytes,
      lowOffset: this.done.lowOffset,
      scanOffset: this.scanOffset,
    };
  }

  /** Stops delivering, waits for the deliveries in flight, and writes a last checkpoint. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    clearInterval(this.checkpointTimer);
    while (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.checkpointing;
    await this.writeCheckpoint();
  }

  private recover(): void {
    const checkpoint = readCheckpoint(this.storage, this.context.dataDir);
    const block = this.context.controlBlock;
    const logEnd = block.highWatermark(this.slot);
    const logStart = block.logStartOffset(this.slot);
    if (checkpoint !== undefined) {
      this.done = new DeliveredSet(checkpoint.lowOffset, checkpoint.bits);
      if (checkpoint.scanOffset > logEnd) this.done.truncate(logEnd);
    }
    if (this.done.lowOffset < logStart) {
      console.warn(`mamba: delayed messages at offsets ${this.done.lowOffset} to ` +
        `${logStart - 1} were removed by retention before they were delivered`);
      for (let offset = this.done.lowOffset; offset < logStart; offset++) this.done.add(offset);
    }
    const nowMs = Date.now();
    this.wheel = new TimingWheel(nowMs);
    const candidates = new Map<string, { target: Target; offsets: Set<number> }>();
    this.scanOffset = this.done.lowOffset;
    while (this.scanOffset < logEnd) {
      this.scanOffset = scanLog(this.reader, this.scanOffset, logEnd, logStart,
        delayedScanRecordCountMax, {
          record: (record) => {
            if (this.done.has(record.offset)) return;
            this.wheel.add(record.timestamp, record.offset);
            if (record.timestamp > nowMs) return;
            const target = this.targetOf(record);
            if (target === undefined) return;
            const key = `${target.topic}\u0000${target.partition}`;
            let entry = candidates.get(key);
            if (entry === undefined) candidates.set(key, entry = { target, offsets: new Set() });
            entry.offsets.add(record.offset);
          },
          gap: (from, to) => { for (let o = from; o < to; o++) this.done.add(o); },
        });
    }
    for (const { target, offsets } of candidates.values()) {
      const fromOffset = checkpoint?.targets[target.topic]?.[target.partition] ?? 0;
      for (const offset of this.findDelivered(target, fromOffset, offsets)) {
        this.done.add(offset);
        this.stats.recoveredDeliveries++;
      }
    }
  }

  /** Which of `sources` (parked offsets) were delivered to `target` at or after `fromOffset`. */
  private findDelivered(target: Target, fromOffset: number, sources: Set<number>): number[] {
    const block = this.context.controlBlock;
    const logStart = block.logStartOffset(target.slot);
    const end = block.highWatermark(target.slot);
    let reader: LogReader;
    try {
      reader = LogReader.open(partitionDirectory(this.context.dataDir, target.topic,
        target.partition), this.storage);
    } catch (error) {
      if (MambaError.is(error) && error.code === 'OFFSET_OUT_OF_RANGE') return [];
      throw error;
    }
    const found: number[] = [];
    let next = Math.max(fromOffset, logStart);
    while (next < end) {
      next = scanLog(reader, next, end, logStart, delayedScanRecordCountMax, {
        record: (record) => {
          const source = record.headerCount === 0 ? undefined
            : headerValue(record.headers, DELAY_SOURCE_HEADER);
          if (source === undefined) return;
          const offset = Number(source);
          if (sources.has(offset)) found.push(offset);
        },
      });
    }
    return found;
  }

  /** One turn: read newly parked messages, fire what is due, deliver, and arm the wakeups. */
  private tick(): void {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const block = this.context.controlBlock;
      this.seenChange = block.changeCount(this.slot);
      const logEnd = block.highWatermark(this.slot);
      if (this.scanOffset < logEnd) this.scanParked(logEnd);
      this.wheel.advance(Date.now(), (offset) => { this.dueQueue.push(offset); });
      this.deliverDue();
      if (this.scanOffset < block.highWatermark(this.slot)) {
        setImmediate(() => this.tick());
        return;
      }
      this.armWakeups();
    } finally {
      this.ticking = false;
    }
  }

  private scanParked(logEnd: number): void {
    const logStart = this.context.controlBlock.logStartOffset(this.slot);
    this.scanOffset = scanLog(this.reader, this.scanOffset, logEnd, logStart,
      delayedScanRecordCountMax, {
        record: (record) => {
          if (!this.done.has(record.offset)) this.wheel.add(record.timestamp, record.offset);
        },
        gap: (from, to) => { for (let o = from; o < to; o++) this.done.add(o); },
      });
  }

  private armWakeups(): void {
    const wakeMs = this.dueQueue.length > 0 && this.inFlight.size < delayedInFlightCountMax
      ? Date.now() : this.wheel.nextWakeMs();
    if (wakeMs !== undefined && wakeMs < this.wakeAtMs) {
      clearTimeout(this.wakeTimer);
      this.wakeAtMs = wakeMs;
      // A delay of up to 30 days is longer than a timer keeps (24.8 days); a timer that fires
      // before anything is due re-arms for what is left.
      this.wakeTimer = setTimeout(() => {
        this.wakeAtMs = Infinity;
        this.tick();
      }, Math.min(timerDelayMsMax, Math.max(0, wakeMs - Date.now())));
      this.wakeTimer.unref();
    }
    if (this.waitArmed) return;
    const block = this.context.controlBlock;
    const word = block.partitionWord(this.slot, PARTITION_CHANGE_COUNT);
    const result = atomics.waitAsync(block.i32, word, this.seenChange);
    if (!result.async) {
      setImmediate(() => this.tick());
      return;
    }
    this.waitArmed = true;
    void result.value.then(() => {
      this.waitArmed = false;
      this.tick();
    });
  }

  /**
   * Reads the due parked records back from the log (in offset order) and sends them: one
   * `sendBatch` per target partition (chunks of at most `deliveryBatchBytesMax`), so a tick's
   * deliveries to a partition are one batch, one append and one ack, not one each.
   */
  private deliverDue(): void {
    const room = delayedInFlightCountMax - this.inFlight.size - this.heldCount;
    if (room <= 0 || this.dueQueue.length === 0) return;
    const batch = this.dueQueue.length <= room
      ? this.dueQueue.splice(0) : this.dueQueue.splice(0, room);
    const wanted = new Set<number>();
    for (const offset of batch) if (!this.done.has(offset)) wanted.add(offset);
    if (wanted.size === 0) return;
    const sorted = [...wanted].sort((a, b) => a - b);
    const logStart = this.context.controlBlock.logStartOffset(this.slot);
    const open = new Map<number, Delivery>();
    this.parked.readEach(sorted, this.scanOffset, logStart, (record) => {
      wanted.delete(record.offset);
      const target = this.targetOf(record);
      if (target === undefined) {
        this.markDone(record.offset, 'dropped');
        return;
      }
      let delivery = open.get(target.slot);
      if (delivery === undefined) {
        open.set(target.slot, delivery = { target, offsets: [], messages: [], sizeBytes: 0 });
      }
      delivery.offsets.push(record.offset);
      delivery.messages.push(deliveredMessage(record, target.partition));
      delivery.sizeBytes += deliverySizeBytes(record);
      if (delivery.sizeBytes >= deliveryBatchBytesMax) {
        open.delete(target.slot);
        this.submit(delivery);
      }
    });
    for (const delivery of open.values()) this.submit(delivery);
    // Offsets the log no longer holds (not expected: they were read before) are done.
    for (const offset of wanted) this.markDone(offset, 'dropped');
  }

  /**
   * Sends a partition's deliveries, or holds them while it has as many batches in flight as
   * the producer lets one partition have (`inFlightBatchesPerPartitionMax`, the window in
   * which the actor recognises a replayed batch). Held deliveries are merged, up to the chunk
   * size, and go when a batch of that partition settles: when acks 'all' waits on a slow
   * fdatasync, what fell due meanwhile goes out on the next ack as one batch, not queued in the
   * producer as a batch per tick, each behind another ack.
   */
  private submit(delivery: Delivery): void {
    const slot = delivery.target.slot;
    if ((this.batchesInFlight.get(slot) ?? 0) < inFlightBatchesPerPartitionMax) {
      this.send(delivery);
      return;
    }
    let held = this.held.get(slot);
    if (held === undefined) this.held.set(slot, held = []);
    const last = held[held.length - 1];
    if (last !== undefined && last.sizeBytes + delivery.sizeBytes <= deliveryBatchBytesMax) {
      last.offsets.push(...delivery.offsets);
      last.messages.push(...delivery.messages);
      last.sizeBytes += delivery.sizeBytes;
    } else {
      held.push(delivery);
    }
    this.heldCount += delivery.offsets.length;
  }

  /** A batch to `slot` settled: one fewer in flight, and the oldest held delivery goes. */
  private batchSettled(slot: number): void {
    const count = (this.batchesInFlight.get(slot) ?? 1) - 1;
    if (count === 0) this.batchesInFlight.delete(slot);
    else this.batchesInFlight.set(slot, count);
    if (this.stopped) return;
    const held = this.held.get(slot);
    const next = held?.shift();
    if (next === undefined) return;
    if (held!.length === 0) this.held.delete(slot);
    this.heldCount -= next.offsets.length;
    this.send(next);
  }

  /** One batch to one partition: appended whole or not at all, so it settles as one. */
  private send({ target, offsets, messages }: Delivery): void {
    this.batchesInFlight.set(target.slot, (this.batchesInFlight.get(target.slot) ?? 0) + 1);
    const endAtSubmit = this.context.controlBlock.highWatermark(target.slot);
    for (const offset of offsets) this.inFlight.set(offset, { target, endAtSubmit });
    this.context.producer.sendBatch(target.topic, messages).then(
      () => {
        for (const offset of offsets) {
          this.inFlight.delete(offset);
          this.markDone(offset, 'delivered');
        }
        this.batchSettled(target.slot);
        this.settled();
      },
      (error: unknown) => {
        this.batchSettled(target.slot);
        this.retry(offsets, target, endAtSubmit, error);
      },
    );
  }

  /**
   * A failed send is indeterminate: it may have been appended. Before sending them again, the
   * target is searched from where its log ended when the send was submitted.
   */
  private retry(offsets: number[], target: Target, endAtSubmit: number, error: unknown): void {
    if (this.stopped) {
      for (const offset of offsets) this.inFlight.delete(offset);
      this.settled();
      return;
    }
    const code = MambaError.is(error) ? error.code : String(error);
    console.warn(`mamba: ${offsets.length} delayed message(s) from ${offsets[0]} to ` +
      `${target.topic}/${target.partition} failed (${code}); trying again`);
    setTimeout(() => {
      for (const offset of offsets) this.inFlight.delete(offset);
      const found = new Set(this.findDelivered(target, endAtSubmit, new Set(offsets)));
      for (const offset of offsets) {
        if (found.has(offset)) this.markDone(offset, 'delivered');
        else this.dueQueue.push(offset);
      }
      this.settled();
      this.tick();
    }, retryDelayMs).unref();
  }

  private markDone(offset: number, how: 'delivered' | 'dropped'): void {
    this.done.add(offset);
    if (how === 'delivered') this.stats.deliveredCount++;
    else this.stats.droppedCount++;
  }

  private settled(): void {
    if (this.inFlight.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    if (this.dueQueue.length > 0) this.tick();
  }

  private checkpoint(): Promise<void> {
    if (this.checkpointing !== undefined || this.stopped) return Promise.resolve();
    this.checkpointing = this.writeCheckpoint().catch((error: unknown) => {
      // The last good checkpoint stays; the next interval tries again (a full disk).
      console.warn(`mamba: delayed-delivery checkpoint failed: ${String(error)}`);
    }).finally(() => { this.checkpointing = undefined; });
    return this.checkpointing;
  }

  /**
   * Takes the done set and, per target partition, the log end below which no delivery missing
   * from it can be: the current end, or the end when an in-flight send was submitted if lower.
   */
  private async writeCheckpoint(): Promise<void> {
    const { lowOffset, bits } = this.done.snapshot();
    const block = this.context.controlBlock;
    const targets: Record<string, number[]> = {};
    for (const location of this.context.directory.list()) {
      if (location.topic === delayedTopicName) continue;
      targets[location.topic] = Array.from({ length: location.partitionCount },
        (_, partition) => block.highWatermark(location.firstSlot + partition));
    }
    for (const { target, endAtSubmit } of this.inFlight.values()) {
      const ends = targets[target.topic];
      if (ends !== undefined && endAtSubmit < ends[target.partition]) {
        ends[target.partition] = endAtSubmit;
      }
    }
    // An idle broker's checkpoint does not change: compared without its time, an unchanged one
    // is not written again (a file write and two fsyncs a second were most of an idle broker's
    // CPU).
    const content = { lowOffset, bits, scanOffset: this.scanOffset, targets };
    const unchanged = encodeCheckpoint({ ...content, writtenAtMs: 0 });
    const last = this.lastCheckpoint;
    if (last !== undefined && Buffer.compare(unchanged, last) === 0) return;
    const bytes = encodeCheckpoint({ ...content, writtenAtMs: Date.now() });
    await this.storage.writeFileAtomicAsync(checkpointPath(this.context.dataDir), bytes);
    this.lastCheckpoint = unchanged;
  }

  /** Where a parked record goes, or undefined (with a warning) when it cannot go anywhere. */
  private targetOf(record: DecodedRecord): Target | undefined {
    const headers = record.headers;
    const topic = headerValue(headers, DELAY_TOPIC_HEADER);
    const partition = Number(headerValue(headers, DELAY_PARTITION_HEADER));
    const location = topic === undefined ? undefined : this.context.directory.lookup(topic);
    if (location === undefined || !Number.isInteger(partition) || partition < 0 ||
      partition >= location.partitionCount) {
      console.warn(`mamba: delayed message ${record.offset} is dropped: its target ` +
        `${topic ?? '(none)'}/${partition} does not exist`);
      return undefined;
    }
    return { topic: location.topic, partition, slot: location.firstSlot + partition };
  }
}

function headerValue(headers: Array<[string, Uint8Array]>, name: string): string | undefined {
  for (const [key, value] of headers) if (key === name) return decoder.decode(value);
  return undefined;
}

/** The bytes a delivery adds to its batch, about: what bounds a chunk, not an exact size. */
function deliverySizeBytes(record: DecodedRecord): number {
  let sizeBytes = recordOverheadBytes + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [key, value] of record.headers) sizeBytes += key.length + value.length + 2;
  return sizeBytes;
}

/** The message as its sender wrote it, with its due time, send time and parked offset. */
function deliveredMessage(record: DecodedRecord, partition: number): Message {
  const headers: Record<string, Uint8Array> = {};
  for (const [key, value] of record.headers) {
    if (key !== DELAY_TOPIC_HEADER && key !== DELAY_PARTITION_HEADER) headers[key] = value;
  }
  headers[DELAY_DUE_HEADER] = encoder.encode(String(record.timestamp));
  headers[DELAY_SOURCE_HEADER] = encoder.encode(String(record.offset));
  if (headers[DELAY_TIMESTAMP_HEADER] === undefined) {
    headers[DELAY_TIMESTAMP_HEADER] = encoder.encode(String(record.timestamp));
  }
  return { key: record.key, value: record.value, partition, headers };
}
