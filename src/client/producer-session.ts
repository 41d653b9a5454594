/**
 * The producer side of a session (see session-layout.ts): writes produce frames into the
 * request rings, and runs the ack pump that settles each batch's promise from the ack rings.
 *
 * Order is kept per actor: a frame that does not fit its ring waits in a per-actor backlog, and
 * every later frame for that actor queues behind it, so batches of a partition reach the actor
 * in the order they were sealed (idempotent sequences depend on it).
 *
 * Crash behaviour: frames stay in a request ring until the actor has appended them, so when an
 * actor crashes its restarted successor reads them again; the caller sees latency, not an error.
 * A partition the supervisor gave up on (state FAILED) fails its pending batches with
 * PARTITION_FAILED; a batch not acknowledged within its timeout fails with TIMEOUT.
 *
 * Bounds: the backlogs and the pending map hold only batches of the producer above, whose
 * records count against its `maxBufferedBytes` (producer-buffer.ts) until they settle, so these
 * queues hold no more than that budget.
 */
import { MambaError, closed, type MambaErrorCode } from '../errors.js';
import { batchSizeBytesMax } from '../constants.js';
import {
  ACKS_ALL, ControlBlock, PartitionState, PARTITION_ACTOR_INDEX, SharedHistogram,
} from '../shm/index.js';
import {
  ACK_BASE_OFFSET, ACK_CORRELATION, ACK_ERROR, FRAME_PRODUCE, PRODUCE_BATCH,
  PRODUCE_CORRELATION, PRODUCE_HEADER_SIZE_BYTES, PRODUCE_SLOT, wireCodeToError,
} from '../shm/index.js';
import { SpscRing, FULL, CLOSED, waitForChange, type Claim } from '../ringbuffer/index.js';
import {
  batchSizeBytes, compressBatch, encodeBatch, encodePlannedBatchInto, writeBatchMeta,
  type BatchMeta, type CompressionCodec, type RecordInput,
} from '../records/index.js';
import {
  SESSION_BUFFERED_BYTES, SESSION_CLOSED, SESSION_DOORBELL, SESSION_SLEEPING,
  type SessionHandle,
} from '../shm/index.js';

/** An encoded-on-demand batch on its way to an actor. */
export interface OutgoingBatch {
  slot: number;
  /** Where the batch goes, for error messages. */
  topic: string;
  partition: number;
  /** 0, 1 or 2 (ACKS_NONE, ACKS_LEADER, ACKS_ALL). */
  acks: number;
  records: RecordInput[];
  /** An already-encoded RecordBatch v2 to pass on as it is (the Kafka door), instead of
   * `records`: only its baseOffset and leader epoch are rewritten, by the actor. */
  encoded?: Uint8Array;
  timeoutMs: number;
  /** Called once the frame's space is claimed, just before encoding: idempotent producers
   * assign the batch's sequence here, so a batch that never reached a ring consumes none. */
  meta(): BatchMeta;
  settle(error: Error | undefined, baseOffset: number): void;
  /** The producer's codec; undefined for none. */
  compression?: CompressionCodec;
}

interface Pending {
  batch: OutgoingBatch;
  deadlineMs: number;
  /** The encoded batch's bytes, for error messages. */
  sizeBytes: number;
  /** `performance.now()` when the frame was committed, for the ack latency histogram. */
  sentAtMs: number;
}

const ackReadFramesMax = 4096;
const pumpWaitMs = 50;
const backlogWaitMs = 1_000;

export class ProducerSession {
  private readonly control: Int32Array;
  /** Where this session's producers publish their buffered bytes (for the broker's metrics). */
  readonly bufferedBytesWord: { words: BigInt64Array; index: number };
  private readonly controlBlock: ControlBlock;
  private readonly requestRings: SpscRing[];
  private readonly ackRings: SpscRing[];
  private readonly backlogs: OutgoingBatch[][];
  private readonly backlogPumps: boolean[];
  private readonly pending = new Map<number, Pending>();
  private nextCorrelation = 1;
  private pumping = false;
  private isClosed = false;
  private lastExpiryCheckMs = 0;
  private readonly actorsToRing = new Set<number>();
  private ringScheduled = false;
  /** Compressed batches waiting for their claim (compressedOf). */
  private readonly compressed = new WeakMap<OutgoingBatch, Uint8Array>();

  constructor(readonly handle: SessionHandle) {
    this.control = new Int32Array(handle.control);
    this.bufferedBytesWord = {
      words: new BigInt64Array(handle.control), index: SESSION_BUFFERED_BYTES,
    };
    this.controlBlock = new ControlBlock(handle.controlBlock);
    this.requestRings = handle.rings.map((r) => SpscRing.attach(r.request));
    this.ackRings = handle.rings.map((r) => SpscRing.attach(r.ack));
    this.backlogs = handle.rings.map(() => []);
    this.backlogPumps = handle.rings.map(() => false);
  }

  /** Sends a batch; its `settle` is called once, with the assigned base offset or an error. */
  submit(batch: OutgoingBatch): void {
    if (this.isClosed) {
      batch.settle(closed('PRODUCER_CLOSED', 'producer session'), -1);
      return;
    }
    if (this.controlBlock.partitionState(batch.slot) === PartitionState.FAILED) {
      batch.settle(partitionFailed(batch), -1);
      return;
    }
    const actorIndex = this.actorOf(batch.slot);
    const backlog = this.backlogs[actorIndex];
    if (backlog.length > 0 || !this.tryWrite(actorIndex, batch)) {
      backlog.push(batch);
      if (!this.backlogPumps[actorIndex]) void this.drainBacklog(actorIndex);
    }
  }

  close(): void {
    this.isClosed = true;
    Atomics.store(this.control, SESSION_CLOSED, 1);
  }

  private actorOf(slot: number): number {
    return Atomics.load(this.controlBlock.i32,
      this.controlBlock.partitionWord(slot, PARTITION_ACTOR_INDEX));
  }

  /** Writes one frame if the ring has room; false if it is full. Settles on bad input. */
  private tryWrite(actorIndex: number, batch: OutgoingBatch): boolean {
    const ring = this.requestRings[actorIndex];
    const now = Date.now();
    let claim: Claim | typeof FULL | typeof CLOSED;
    try {
      const frameBytes = PRODUCE_HEADER_SIZE_BYTES + (batch.encoded !== undefined
        ? batch.encoded.length
        : batch.compression === undefined
          ? batchSizeBytes(batch.records, now) : this.compressedOf(batch, now).length);
      claim = ring.tryClaim(FRAME_PRODUCE, frameBytes);
    } catch (error) {
      batch.settle(error as Error, -1);
      return true;
    }
    if (claim === FULL) return false;
    if (claim === CLOSED) {
      batch.settle(closed('BROKER_CLOSED', 'broker'), -1);
      return true;
    }
    this.writeFrame(ring, claim, batch, now);
    this.ringLater(actorIndex);
    return true;
  }

  /**
   * Rings an actor's doorbell once for all the frames this task writes to it: the doorbell is
   * a notify (a futex wake when the actor sleeps), and a producer sealing several batches in one
   * tick should pay it once, not per frame. The microtask runs before this thread waits on
   * anything, so no frame waits for a later ring.
   */
  private ringLater(actorIndex: number): void {
    this.actorsToRing.add(actorIndex);
    if (this.ringScheduled) return;
    this.ringScheduled = true;
    queueMicrotask(() => {
      this.ringScheduled = false;
      for (const index of this.actorsToRing) this.controlBlock.ringActor(index);
      this.actorsToRing.clear();
    });
  }

  private writeFrame(ring: SpscRing, claim: Claim, batch: OutgoingBatch, now: number): void {
    const correlation = this.nextCorrelation;
    this.nextCorrelation = (this.nextCorrelation + 1) >>> 0 || 1;
    const view = new DataView(claim.bytes.buffer, claim.payloadOffset, PRODUCE_HEADER_SIZE_BYTES);
    view.setUint32(PRODUCE_SLOT, batch.slot, true);
    view.setUint32(PRODUCE_CORRELATION, correlation, true);
    const compressed = this.compressed.get(batch);
    let sizeBytes: number;
    if (batch.encoded !== undefined) {
      // A batch as a Kafka client sent it (the network door): stored as is.
      claim.bytes.set(batch.encoded, claim.payloadOffset + PRODUCE_BATCH);
      sizeBytes = batch.encoded.length;
    } else if (compressed === undefined) {
      // tryWrite planned these records to size the claim: written now without a second plan.
      sizeBytes = encodePlannedBatchInto(claim.bytes, claim.payloadOffset + PRODUCE_BATCH,
        batch.records, batch.meta(), now);
    } else {
      // Compressed before the claim (its size decides the claim); the idempotence fields are
      // known only now, and the header is not compressed, so they are written into the copy.
      this.compressed.delete(batch);
      const position = claim.payloadOffset + PRODUCE_BATCH;
      claim.bytes.set(compressed, position);
      writeBatchMeta(claim.bytes, position, compressed.length, batch.meta());
      sizeBytes = compressed.length;
    }
    claim.flags = batch.acks;
    ring.commit(claim);
    if (batch.acks === 0) {
      batch.settle(undefined, -1);
      return;
    }
    this.pending.set(correlation, {
      batch, deadlineMs: now + batch.timeoutMs, sizeBytes, sentAtMs: performance.now(),
    });
    if (!this.pumping) void this.pump();
  }

  /**
   * The batch encoded and compressed, once: a batch waiting for ring space is tried again,
   * and compressing is the expensive part. The header's idempotence fields are filled later.
   */
  private compressedOf(batch: OutgoingBatch, now: number): Uint8Array {
    let compressed = this.compressed.get(batch);
    if (compressed === undefined) {
      compressed = compressBatch(encodeBatch(batch.records, undefined, now), batch.compression!);
      this.compressed.set(batch, compressed);
    }
    return compressed;
  }

  private async drainBacklog(actorIndex: number): Promise<void> {
    this.backlogPumps[actorIndex] = true;
    const backlog = this.backlogs[actorIndex];
    try {
      while (backlog.length > 0) {
        if (this.tryWrite(actorIndex, backlog[0])) {
          backlog.shift();
          continue;
        }
        if (this.failIfPartitionFailed(backlog)) continue;
        try {
          const probe = await this.requestRings[actorIndex].claimAsync(FRAME_PRODUCE,
            PRODUCE_HEADER_SIZE_BYTES, backlogWaitMs);
          this.requestRings[actorIndex].abort(probe);
        } catch (error) {
          if (!MambaError.is(error, 'TIMEOUT')) throw error;
          this.expire(Date.now(), true);
        }
      }
    } catch (error) {
      for (const batch of backlog.splice(0)) batch.settle(error as Error, -1);
    } finally {
      this.backlogPumps[actorIndex] = false;
    }
  }

  private failIfPartitionFailed(backlog: OutgoingBatch[]): boolean {
    const head = backlog[0];
    if (this.controlBlock.partitionState(head.slot) !== PartitionState.FAILED) return false;
    backlog.shift();
    head.settle(partitionFailed(head), -1);
    return true;
  }

  /**
   * The ack pump. Before waiting it announces itself in `sleeping`, then looks at the rings
   * once more: an actor commits its acks and then reads `sleeping`, and this thread writes
   * `sleeping` and then reads the rings, so at least one of the two sees the other (all
   * Atomics operations are sequentially consistent). The doorbell value is read before that
   * last look, so a bump after it makes the wait return at once.
   */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pending.size > 0) {
        const seen = Atomics.load(this.control, SESSION_DOORBELL);
        if (this.drainAcks() > 0) {
          await yieldToEventLoop();
          continue;
        }
        Atomics.store(this.control, SESSION_SLEEPING, 1);
        if (this.drainAcks() === 0) {
          await waitForChange(this.control, SESSION_DOORBELL, seen, pumpWaitMs);
        }
        Atomics.store(this.control, SESSION_SLEEPING, 0);
        this.expire(Date.now(), this.requestRings.some((ring) => ring.isClosed));
      }
    } finally {
      this.pumping = false;
    }
  }

  private drainAcks(): number {
    let count = 0;
    for (const ring of this.ackRings) {
      const read = ring.read(ackReadFramesMax, (_type, payload) => {
        const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        this.settleAck(view.getUint32(ACK_CORRELATION, true), view.getInt32(ACK_ERROR, true),
          view.getFloat64(ACK_BASE_OFFSET, true));
      });
      if (read > 0) ring.release();
      count += read;
    }
    return count;
  }

  private settleAck(correlation: number, wireError: number, baseOffset: number): void {
    const entry = this.pending.get(correlation);
    // A batch replayed after an actor restart may be acknowledged twice; the first one counts.
    if (entry === undefined) return;
    this.pending.delete(correlation);
    if (wireError === 0) {
      this.controlBlock.metrics.observe(
        entry.batch.acks === ACKS_ALL ? SharedHistogram.ACK_ALL : SharedHistogram.ACK_LEADER,
        (performance.now() - entry.sentAtMs) / 1000);
      entry.batch.settle(undefined, baseOffset);
    } else {
      entry.batch.settle(actorError(wireError, entry), -1);
    }
  }

  /** Fails pending batches that can no longer be acknowledged (checked every pumpWaitMs). */
  private expire(nowMs: number, force = false): void {
    if (nowMs - this.lastExpiryCheckMs < pumpWaitMs && !force) return;
    this.lastExpiryCheckMs = nowMs;
    for (const [correlation, entry] of this.pending) {
      const error = this.pendingFailure(entry, nowMs);
      if (error === undefined) continue;
      this.pending.delete(correlation);
      entry.batch.settle(error, -1);
    }
  }

  /** Why a pending batch can no longer be acknowledged, if it cannot. */
  private pendingFailure(entry: Pending, nowMs: number): MambaError | undefined {
    const slot = entry.batch.slot;
    if (this.requestRings[this.actorOf(slot)].isClosed) return closed('BROKER_CLOSED', 'broker');
    if (this.controlBlock.partitionState(slot) === PartitionState.FAILED) {
      return partitionFailed(entry.batch);
    }
    return nowMs < entry.deadlineMs ? undefined : timedOut(entry);
  }
}

function partitionFailed(batch: OutgoingBatch): MambaError {
  const { topic, partition } = batch;
  return new MambaError('PARTITION_FAILED', `${topic}/${partition} failed: it could not be ` +
    'recovered, or its actor crashed too often and was given up', {
    detail: { topic, partition },
  });
}

function timedOut(entry: Pending): MambaError {
  const { topic, partition, timeoutMs } = entry.batch;
  return new MambaError('TIMEOUT', `${topic}/${partition}: batch of ${entry.sizeBytes} bytes ` +
    `not acknowledged within requestTimeoutMs ${timeoutMs}`, {
    detail: { topic, partition, sizeBytes: entry.sizeBytes, timeoutMs },
  });
}

/** What the actor refused a batch for, named by topic, partition and size. */
const actorErrorReasons: Partial<Record<MambaErrorCode, string>> = {
  RECORD_TOO_LARGE: `exceeds the largest batch a partition appends (${batchSizeBytesMax} ` +
    'bytes, and at most the topic\'s segmentBytes)',
  DISK_FULL: 'could not be written: no space left on the device',
  CORRUPT_BATCH: 'was refused as corrupt (bad CRC, magic or length)',
  OUT_OF_ORDER_SEQUENCE: 'has a sequence number the partition did not expect',
  PRODUCER_FENCED: 'comes from a producer epoch the partition has fenced off',
  IO_ERROR: 'could not be written: an I/O error in the partition actor',
};

function actorError(wireError: number, entry: Pending): MambaError {
  const { topic, partition } = entry.batch;
  const { code } = wireCodeToError(wireError, '');
  const reason = actorErrorReasons[code] ?? `failed in the partition actor (${code})`;
  return new MambaError(code, `${topic}/${partition}: batch of ${entry.sizeBytes} bytes ` +
    reason, { detail: { topic, partition, sizeBytes: entry.sizeBytes } });
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
