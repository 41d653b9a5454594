/**
 * A partition actor: the single writer of the partitions assigned to it (DESIGN.md §1). It runs
 * in its own worker thread, drains produce frames from every session's request ring, appends
 * each batch to its partition's memory-mapped log, flushes per policy with group commit, and
 * publishes offsets and acknowledgements through shared memory.
 *
 * One drain pass, in this order (the order is what makes crashes safe):
 *   1. read frames from each session's request ring (zero-copy views; nothing released yet);
 *   2. for each frame: idempotence check, then append to the log (bytes now in the mapping);
 *   3. flush every log that has an `acks: 'all'` frame or a `flush: 'batch'` policy (one msync
 *      per log for the whole pass: group commit);
 *   4. publish high-watermark / durable offset in the control block and wake readers;
 *   5. write acks to each session's ack ring and wake the producer thread;
 *   6. release the request frames (invariant 2: only now are they gone from the ring).
 * A crash anywhere before 6 leaves the frames in the ring: the restarted actor reads them again,
 * and the idempotence table (rebuilt from the log by recovery) recognises those already
 * appended, so they are acknowledged with their original offsets instead of appended twice.
 *
 * Lifecycle: starting → ready → draining → stopped, with asserted transitions.
 */
import { assert, assertNever } from '../assert.js';
import { MambaError, toWire, type MambaErrorCode } from '../errors.js';
import { checkpointIntervalMs, heartbeatIntervalMs, ringReadFrameCountMax } from '../constants.js';
import { SpscRing, FULL, CLOSED } from '../ringbuffer/index.js';
import { readBatchHeader } from '../records/index.js';
import { PartitionLog } from '../segments/index.js';
import { ringSession, SESSION_CLOSED } from '../client/session-layout.js';
import {
  ACTOR_DOORBELL, ACTOR_HEARTBEAT, ACTOR_PROGRESS, ACTOR_SLEEPING, ACTOR_STATE, ActorState,
  ControlBlock, PartitionState,
} from './control-block.js';
import {
  ACK_SIZE_BYTES, ACKS_ALL, FRAME_ACK, FRAME_PRODUCE, PRODUCE_BATCH, PRODUCE_CORRELATION,
  PRODUCE_HEADER_SIZE_BYTES, PRODUCE_SLOT, errorToWireCode, writeAck,
} from './frames.js';
import type {
  ActorCommand, ActorEndpoint, ActorReplies, ActorReply, ActorSessionSpec, ActorStats,
  PartitionRecovered,
  PartitionSpec,
} from './protocol.js';

type Lifecycle = 'starting' | 'ready' | 'draining' | 'stopped';
const transitions: Record<Lifecycle, Lifecycle[]> = {
  starting: ['ready', 'stopped'], ready: ['draining'], draining: ['stopped'], stopped: [],
};

interface HostedPartition {
  spec: PartitionSpec;
  log: PartitionLog;
  /** Appended in this pass and not yet published. */
  touched: boolean;
  /** Must be flushed before this pass acknowledges. */
  flushNeeded: boolean;
}

interface PendingAck {
  correlation: number;
  wireError: number;
  baseOffset: number;
  /** The batch waits for this pass's flush (acks 'all', or a log with flush 'batch'). */
  afterFlush: boolean;
}

interface AttachedSession {
  spec: ActorSessionSpec;
  control: Int32Array;
  request: SpscRing;
  ack: SpscRing;
  /** Acks of this pass, written after the flush. */
  acks: PendingAck[];
  /** Frames read this pass, released after the acks are written. */
  readCount: number;
  /** Frames were read and not yet released (their acks wait for room in the ack ring). */
  unreleased: boolean;
}

const ackFrameBytes = 8 + ACK_SIZE_BYTES;
const passesBetweenYields = 8;
const retentionIntervalMs = 1_000;

export class PartitionActor implements ActorEndpoint {
  private lifecycle: Lifecycle = 'starting';
  private readonly partitions = new Map<number, HostedPartition>();
  private readonly sessions = new Map<number, AttachedSession>();
  private readonly i32: Int32Array;
  private crashMode: 'throw' | 'exit' | undefined;
  private lastCheckpointMs = Date.now();
  private lastRetentionMs = 0;
  private readonly counters = {
    framesProcessed: 0, batchesAppended: 0, duplicatesSkipped: 0, flushCount: 0,
  };

  constructor(readonly actorIndex: number, readonly epoch: number,
    private readonly block: ControlBlock) {
    this.i32 = block.i32;
  }

  async call(command: ActorCommand): Promise<ActorReply<ActorCommand['kind']>> {
    try {
      return { ok: true, value: this.handle(command) };
    } catch (error) {
      return { ok: false, error: toWire(error) };
    }
  }

  /** The drain loop; returns when the actor has stopped. */
  async run(): Promise<void> {
    this.setState(ActorState.READY);
    this.transition('ready');
    let passes = 0;
    while (this.lifecycle === 'ready') {
      Atomics.add(this.i32, this.word(ACTOR_HEARTBEAT), 1);
      const frames = this.drainPass();
      if (this.crashMode !== undefined) this.crashNow();
      this.periodic(Date.now());
      if (frames > 0) {
        if (++passes % passesBetweenYields === 0) await yieldToEventLoop();
        continue;
      }
      await this.sleepUntilWork();
    }
  }

  private handle(command: ActorCommand): ActorReplies[ActorCommand['kind']] {
    switch (command.kind) {
      case 'open-partition': return this.openPartition(command.spec);
      case 'close-partition': return this.closePartition(command.slot, false);
      case 'delete-partition': return this.closePartition(command.slot, true);
      case 'add-session': return this.addSession(command.session);
      case 'remove-session': this.sessions.delete(command.sessionId); return null;
      case 'stats': return this.stats();
      case 'checkpoint': this.checkpointAll(true); return null;
      case 'crash': this.crashMode = command.mode; this.ringSelf(); return null;
      case 'shutdown': this.shutdown(); return null;
      default: return assertNever(command, 'actor command');
    }
  }

  private openPartition(spec: PartitionSpec): PartitionRecovered {
    const startedAt = performance.now();
    const existing = this.partitions.get(spec.slot);
    if (existing !== undefined) existing.log.close();
    this.block.setPartitionState(spec.slot, PartitionState.RECOVERING);
    Atomics.store(this.i32, this.word(ACTOR_STATE), ActorState.RECOVERING);
    const log = PartitionLog.open(spec.dir, {
      segmentSizeBytes: spec.config.segmentBytes,
      segmentAgeMs: spec.config.segmentMs,
      retentionBytes: spec.config.retentionBytes < 0 ? undefined : spec.config.retentionBytes,
      retentionMs: spec.config.retentionMs < 0 ? undefined : spec.config.retentionMs,
      flushPolicy: spec.config.flush,
      // Recovery is synchronous, so the heartbeat cannot tick: the progress word tells the
      // supervisor this actor is slow, not stuck.
      onRecoveryProgress: () => Atomics.add(this.i32, this.word(ACTOR_PROGRESS), 1),
      log: (line) =>
        console.warn(`[actor ${this.actorIndex} ${spec.topic}-${spec.partition}] ${line}`),
    });
    Atomics.add(this.i32, this.word(ACTOR_PROGRESS), 1);
    Atomics.store(this.i32, this.word(ACTOR_STATE),
      this.lifecycle === 'ready' ? ActorState.READY : ActorState.STARTING);
    this.partitions.set(spec.slot, { spec, log, touched: false, flushNeeded: false });
    this.publish(spec.slot, log);
    this.block.setPartitionState(spec.slot, PartitionState.READY);
    const tornBytes = log.recovery.tornTail?.bytesCleared ?? 0;
    return {
      slot: spec.slot, topic: spec.topic, partition: spec.partition,
      recoveryMs: performance.now() - startedAt, logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset, truncatedBytes: tornBytes,
    };
  }

  private closePartition(slot: number, remove: boolean): null {
    const hosted = this.partitions.get(slot);
    if (hosted === undefined) return null;
    this.partitions.delete(slot);
    hosted.log.close();
    if (remove) this.block.setPartitionState(slot, PartitionState.DELETED);
    return null;
  }

  private addSession(spec: ActorSessionSpec): null {
    this.sessions.set(spec.sessionId, {
      spec, control: new Int32Array(spec.control), request: SpscRing.attach(spec.request),
      ack: SpscRing.attach(spec.ack), acks: [], readCount: 0, unreleased: false,
    });
    this.ringSelf();
    return null;
  }

  private stats(): ActorStats {
    return {
      actorIndex: this.actorIndex, epoch: this.epoch, ...this.counters,
      sessions: this.sessions.size,
      partitions: [...this.partitions.values()].map(({ spec, log }) => ({
        slot: spec.slot, topic: spec.topic, partition: spec.partition,
        logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
        durableOffset: log.durableOffset, ...pick(log.stats()),
      })),
    };
  }

  /** One pass over every session (see the file comment). Returns frames processed. */
  private drainPass(): number {
    let frames = 0;
    for (const session of this.sessions.values()) {
      if (session.acks.length > 0 && !this.writeAcks(session)) continue;
      if (session.unreleased) this.release(session);
      const room = Math.floor(session.ack.bytesFree / ackFrameBytes);
      const limit = Math.min(ringReadFrameCountMax, room);
      if (limit === 0) continue;
      session.readCount = session.request.read(limit, (type, payload, flags) => {
        assert(type === FRAME_PRODUCE, `produce frame type (got ${type})`);
        this.acknowledge(session, this.process(payload, flags));
      });
      frames += session.readCount;
      if (session.readCount === 0 && Atomics.load(session.control, SESSION_CLOSED) === 1) {
        this.sessions.delete(session.spec.sessionId);
      }
    }
    if (frames === 0) return 0;
    this.counters.framesProcessed += frames;
    if (this.crashMode !== undefined) this.crashNow();
    this.flushAndPublish();
    for (const session of this.sessions.values()) {
      if (session.readCount === 0) continue;
      session.readCount = 0;
      session.unreleased = true;
      if (this.writeAcks(session)) this.release(session);
    }
    return frames;
  }

  private release(session: AttachedSession): void {
    session.request.release();
    session.unreleased = false;
  }

  /**
   * An ack that needs no flush is written at once, after the partition's new high-watermark is
   * published (so a producer that sees its ack can read its record back): the producer thread
   * starts its next batch while this pass is still appending, instead of the two threads taking
   * turns. Acks that wait for the flush, or find the ack ring full, are written after the pass.
   */
  private acknowledge(session: AttachedSession, ack: PendingAck): void {
    if (ack.afterFlush || session.acks.length > 0) {
      session.acks.push(ack);
      return;
    }
    this.publishTouched();
    if (!this.writeAck(session, ack)) session.acks.push(ack);
    else ringSession(session.control);
  }

  private publishTouched(): void {
    for (const [slot, hosted] of this.partitions) {
      if (!hosted.touched) continue;
      hosted.touched = false;
      this.publish(slot, hosted.log);
    }
  }

  private process(payload: Uint8Array, acks: number): PendingAck {
    const view = new DataView(payload.buffer, payload.byteOffset, PRODUCE_HEADER_SIZE_BYTES);
    const slot = view.getUint32(PRODUCE_SLOT, true);
    const correlation = view.getUint32(PRODUCE_CORRELATION, true);
    const hosted = this.partitions.get(slot);
    if (hosted === undefined) return failed(correlation, 'UNKNOWN_TOPIC');
    const afterFlush = acks === ACKS_ALL || hosted.spec.config.flush === 'batch';
    const batch = payload.subarray(PRODUCE_BATCH);
    try {
      const header = readBatchHeader(batch, 0);
      const check = hosted.log.producers.check(Number(header.producerId), header.producerEpoch,
        header.baseSequence, header.recordCount);
      if (check.kind === 'error') return failed(correlation, check.code);
      if (afterFlush) hosted.flushNeeded = true;
      if (check.kind === 'duplicate') {
        this.counters.duplicatesSkipped++;
        return { correlation, wireError: 0, baseOffset: check.baseOffset, afterFlush };
      }
      const result = hosted.log.append(batch);
      hosted.touched = true;
      this.counters.batchesAppended++;
      return { correlation, wireError: 0, baseOffset: result.baseOffset, afterFlush };
    } catch (error) {
      if (error instanceof MambaError) return failed(correlation, error.code);
      throw error;
    }
  }

  /** Group commit: one flush per log that needs one, then publish offsets to readers. */
  private flushAndPublish(): void {
    for (const [slot, hosted] of this.partitions) {
      if (hosted.flushNeeded) {
        hosted.log.flush();
        this.counters.flushCount++;
      }
      if (hosted.touched || hosted.flushNeeded) this.publish(slot, hosted.log);
      hosted.touched = false;
      hosted.flushNeeded = false;
    }
  }

  private publish(slot: number, log: PartitionLog): void {
    this.block.publishOffsets(slot, log.logEndOffset, log.durableOffset, log.logStartOffset);
  }

  /** Writes the pass's acks; false if the ack ring is full (they wait for the next pass). */
  private writeAcks(session: AttachedSession): boolean {
    let written = 0;
    for (const ack of session.acks) {
      if (!this.writeAck(session, ack)) break;
      written++;
    }
    session.acks.splice(0, written);
    if (written > 0) ringSession(session.control);
    return session.acks.length === 0;
  }

  /** Writes one ack frame; false if the ack ring is full. */
  private writeAck(session: AttachedSession, ack: PendingAck): boolean {
    const claim = session.ack.tryClaim(FRAME_ACK, ACK_SIZE_BYTES);
    if (claim === FULL || claim === CLOSED) return false;
    writeAck(new DataView(claim.bytes.buffer, claim.payloadOffset, ACK_SIZE_BYTES),
      ack.correlation, ack.wireError, ack.baseOffset);
    session.ack.commit(claim);
    return true;
  }

  private periodic(nowMs: number): void {
    for (const [slot, hosted] of this.partitions) {
      if (hosted.log.flushDue(nowMs) && hosted.spec.config.flush !== 'batch') {
        hosted.log.flush();
        this.counters.flushCount++;
        this.publish(slot, hosted.log);
      }
    }
    if (nowMs - this.lastRetentionMs >= retentionIntervalMs) {
      this.lastRetentionMs = nowMs;
      for (const [slot, hosted] of this.partitions) {
        if (hosted.log.applyRetention(nowMs) > 0) this.publish(slot, hosted.log);
      }
    }
    if (nowMs - this.lastCheckpointMs >= checkpointIntervalMs && this.allReleased()) {
      this.lastCheckpointMs = nowMs;
      this.checkpointAll();
    }
  }

  /**
   * Whether every frame read has been released. Checkpoints wait for this: the checkpoint keeps
   * only each producer's last batch, so a frame that could still be replayed must lie after the
   * recovery point, where recovery rebuilds the full idempotence window.
   */
  private allReleased(): boolean {
    for (const session of this.sessions.values()) if (session.unreleased) return false;
    return true;
  }

  /** `full`: flush everything first, so the recovery point is the log end (see PartitionLog). */
  private checkpointAll(full?: boolean): void {
    for (const [slot, hosted] of this.partitions) {
      hosted.log.checkpoint(full);
      this.publish(slot, hosted.log);
    }
  }

  /**
   * Sleeps until a producer rings the doorbell, a control message arrives, or the heartbeat
   * interval passes. The doorbell value is read before announcing sleep and checking the rings
   * once more, so a producer that commits after that check bumps a value the wait compares
   * against, and the wait returns at once (see ControlBlock.ringActor).
   */
  private async sleepUntilWork(): Promise<void> {
    const doorbell = this.word(ACTOR_DOORBELL);
    const seen = Atomics.load(this.i32, doorbell);
    Atomics.store(this.i32, this.word(ACTOR_SLEEPING), 1);
    if (!this.anyFrames()) {
      const result = waitAsync(this.i32, doorbell, seen, heartbeatIntervalMs);
      if (result.async) await result.value;
    }
    Atomics.store(this.i32, this.word(ACTOR_SLEEPING), 0);
  }

  private anyFrames(): boolean {
    for (const session of this.sessions.values()) {
      if (session.request.bytesAvailable > 0 || session.acks.length > 0) return true;
      if (session.unreleased) return true;
    }
    return this.crashMode !== undefined || this.lifecycle !== 'ready';
  }

  private ringSelf(): void {
    const doorbell = this.word(ACTOR_DOORBELL);
    Atomics.add(this.i32, doorbell, 1);
    Atomics.notify(this.i32, doorbell);
  }

  /** Chaos hook: dies after appending this pass's frames, before acking or releasing them. */
  private crashNow(): never {
    const mode = this.crashMode;
    if (mode === 'exit') process.exit(1);
    throw new Error(`actor ${this.actorIndex}: crash requested (${mode})`);
  }

  private shutdown(): void {
    if (this.lifecycle === 'ready') this.transition('draining');
    this.drainPass();
    for (const hosted of this.partitions.values()) hosted.log.close();
    this.partitions.clear();
    this.setState(ActorState.STOPPED);
    if (this.lifecycle === 'draining' || this.lifecycle === 'starting') this.transition('stopped');
    this.ringSelf();
  }

  private transition(to: Lifecycle): void {
    assert(transitions[this.lifecycle].includes(to), `actor lifecycle ${this.lifecycle} → ${to}`);
    this.lifecycle = to;
  }

  private setState(state: ActorState): void {
    Atomics.store(this.i32, this.word(ACTOR_STATE), state);
  }

  private word(field: number): number {
    return this.block.actorWord(this.actorIndex, field);
  }
}

function failed(correlation: number, code: MambaErrorCode): PendingAck {
  return { correlation, wireError: errorToWireCode(code), baseOffset: -1, afterFlush: false };
}

function pick(stats: { segmentCount: number; sizeBytes: number }) {
  return { segmentCount: stats.segmentCount, sizeBytes: stats.sizeBytes };
}

const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number):
    { async: false; value: string } | { async: true; value: Promise<string> };
};

function waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number) {
  return atomics.waitAsync(array, index, value, timeoutMs);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
