/**
 * A partition actor: the single writer of the partitions assigned to it (DESIGN.md §1). It runs
 * in its own worker thread, drains produce frames from every session's request ring, appends
 * each batch to its partition's memory-mapped log, flushes per policy with group commit, and
 * publishes offsets and acknowledgements through shared memory.
 *
 * What happens to a produce frame, in this order (the order is what makes crashes safe):
 *   1. it is read from its session's request ring (a zero-copy view; not released);
 *   2. idempotence check, then append to the log: its bytes are now in the mapping;
 *   3. the partition's high-watermark is published in the control block (readers wake);
 *   4. its ack is written to the session's ack ring — at once for acks 0/1, or once the log is
 *      durable past it for acks 'all' / flush 'batch': one fdatasync per log covers every batch
 *      appended before it started (group commit), and runs on the I/O pool while this thread
 *      goes on appending;
 *   5. the frame is released, only when every frame read with it has its ack written
 *      (invariant 2: appended and acknowledged before it leaves the ring).
 * A crash anywhere before 5 leaves the frames in the ring: the restarted actor reads them again,
 * and the idempotence table (rebuilt from the log by recovery) recognises those already
 * appended, so they are acknowledged with their original offsets instead of appended twice.
 *
 * Lifecycle: starting → ready → draining → stopped, with asserted transitions.
 */
import v8 from 'node:v8';
import { resourceLimits } from 'node:worker_threads';
import { assert, assertNever } from '../assert.js';
import { MambaError, toWire, type MambaErrorCode } from '../errors.js';
import {
  actorIdleParkMsMax, actorQuietAfterMs, checkpointIntervalMs, heartbeatIntervalMs,
  ringReadFrameCountMax,
} from '../constants.js';
import {
  SpscRing, FULL, CLOSED, IdleStrategy, spinUntil, waitForChange, type IdleConfig,
} from '../ringbuffer/index.js';
import { readBatchHeader } from '../records/index.js';
import { PartitionLog, type CleanSegmentSpec } from '../segments/index.js';
import { ringSession, SESSION_CLOSED } from '../shm/index.js';
import {
  ACTOR_DOORBELL, ACTOR_HEARTBEAT, ACTOR_PROGRESS, ACTOR_SLEEPING, ACTOR_STATE,
  ActorState, ControlBlock, PartitionState, SharedHistogram,
} from '../shm/index.js';
import {
  ACK_SIZE_BYTES, ACKS_ALL, FRAME_ACK, FRAME_PRODUCE, PRODUCE_BATCH, PRODUCE_CORRELATION,
  PRODUCE_HEADER_SIZE_BYTES, PRODUCE_SLOT, errorToWireCode, writeAck,
} from '../shm/index.js';
import type { ControlInbox } from './control-inbox.js';
import type {
  ActorCommand, ActorEndpoint, ActorHeapStats, ActorReplies, ActorReply, ActorSessionSpec,
  ActorStats,
  CleanPlan, CrashMode, PartitionRecovered,
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
  /** A batch of this pass waits for a flush (acks 'all', or flush 'batch'). */
  flushNeeded: boolean;
  /** A flush runs on the I/O pool; `flushAgain`: another was asked for meanwhile. */
  flushInFlight: boolean;
  flushAgain: boolean;
  /** Why the last flush failed, for the acks that waited on it. */
  flushError: MambaErrorCode | undefined;
  /** The last checkpoint could not be written (warned once until one is). */
  checkpointFailing: boolean;
  /** What the last checkpoint written recorded (checkpointKey), or '' before the first. */
  checkpointedKey: string;
}

interface PendingAck {
  correlation: number;
  wireError: number;
  baseOffset: number;
  slot: number;
  /** 0, or the offset the partition must be durable up to before this ack may go. */
  durableAt: number;
  /** The read this ack's frame came in, once the ack waits. */
  group?: ReadGroup;
}

/**
 * The frames of one `read` of a session's request ring: they may be released once none of
 * their acks waits any more. Groups are released in order, up to the ring mark after them.
 */
interface ReadGroup {
  mark: number;
  waitingAcks: number;
}

interface AttachedSession {
  spec: ActorSessionSpec;
  control: Int32Array;
  request: SpscRing;
  ack: SpscRing;
  /** Acks waiting: for their partition's flush, or for room in the ack ring. */
  acks: PendingAck[];
  /** Reads not yet released, oldest first. */
  groups: ReadGroup[];
}

const ackFrameBytes = 8 + ACK_SIZE_BYTES;
const passesBetweenYields = 8;
const retentionIntervalMs = 1_000;
/** How often the log size and segment count gauges are published for the metrics. */
const logGaugesIntervalMs = 250;

export class PartitionActor implements ActorEndpoint {
  private lifecycle: Lifecycle = 'starting';
  private readonly partitions = new Map<number, HostedPartition>();
  private readonly sessions = new Map<number, AttachedSession>();
  private readonly i32: Int32Array;
  private crashMode: CrashMode | undefined;
  /** write-marker commands waiting for their flush (see writeMarker). */
  private markerFlushesInFlight = 0;
  private lastCheckpointMs = Date.now();
  private lastRetentionMs = 0;
  private lastLogGaugesMs = 0;
  /** When frames, a command or a flush last came (performance.now()): see parkCapMs. */
  private lastActiveMs = performance.now();
  private readonly counters = {
    framesProcessed: 0, batchesAppended: 0, duplicatesSkipped: 0, flushCount: 0,
    checkpointFailures: 0, lostWakeups: 0,
  };

  private readonly idle: IdleStrategy;

  constructor(readonly actorIndex: number, readonly epoch: number,
    private readonly block: ControlBlock, idle: IdleConfig, private readonly inbox: ControlInbox) {
    this.i32 = block.i32;
    this.idle = new IdleStrategy(idle);
  }

  async call(command: ActorCommand): Promise<ActorReply<ActorCommand['kind']>> {
    this.lastActiveMs = performance.now();
    try {
      if (command.kind === 'delete-partition') {
        await this.partitions.get(command.slot)?.log.preparationSettled();
      }
      if (command.kind === 'write-marker') {
        return { ok: true, value: await this.writeMarker(command) };
      }
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
        this.lastActiveMs = performance.now();
        this.idle.busy();
        // A command posted meanwhile gets its turn now, not after the next yield.
        if (++passes % passesBetweenYields === 0 || this.inbox.pending) await yieldToEventLoop();
        continue;
      }
      await this.idleUntilWork();
    }
  }

  /**
   * No frames in this pass: spin, yield or park as the idle strategy says (ringbuffer/
   * idle-strategy.ts). While it spins or yields the sleeping word stays 0, so producers do not
   * notify: a busy actor costs its producers no futex per batch.
   */
  private async idleUntilWork(): Promise<void> {
    const phase = this.idle.next(performance.now());
    if (phase === 'spin') {
      spinUntil(() => this.anyFrames(), this.idle.spinUntilMs);
    } else if (phase === 'yield') {
      await yieldToEventLoop();
    } else {
      await this.sleepUntilWork();
    }
  }

  private handle(command: ActorCommand): ActorReplies[ActorCommand['kind']] {
    switch (command.kind) {
      case 'open-partition': return this.openPartition(command.spec, command.reopen === true);
      case 'close-partition': return this.closePartition(command.slot, false);
      case 'delete-partition': return this.closePartition(command.slot, true);
      case 'add-session': return this.addSession(command.session);
      case 'remove-session': this.sessions.delete(command.sessionId); return null;
      case 'stats': return this.stats();
      case 'ping': return null;
      case 'checkpoint': this.checkpointAll(true); return null;
      case 'clean-plan': return this.cleanPlan(command.slot, command.rollActive);
      case 'swap-segments': return this.swapSegments(command.slot, command.segments);
      case 'crash': this.crashMode = command.mode; this.ringSelf(); return null;
      case 'write-marker': throw new MambaError('ILLEGAL_STATE', 'write-marker is asynchronous');
      case 'shutdown': this.shutdown(); return null;
      case 'adopt': throw new MambaError('ILLEGAL_STATE', `actor ${this.actorIndex} runs already`);
      default: return assertNever(command, 'actor command');
    }
  }

  private openPartition(spec: PartitionSpec, reopen = false): PartitionRecovered {
    const startedAt = performance.now();
    const existing = this.partitions.get(spec.slot);
    if (existing !== undefined) existing.log.close();
    this.block.setPartitionState(spec.slot, PartitionState.RECOVERING);
    Atomics.store(this.i32, this.word(ACTOR_STATE), ActorState.RECOVERING);
    const compactOnly = spec.config.cleanupPolicy === 'compact';
    const log = PartitionLog.open(spec.dir, {
      segmentSizeBytes: spec.config.segmentBytes,
      segmentAgeMs: spec.config.segmentMs,
      // A compact-only topic keeps its (cleaned) segments whatever their size or age, as Kafka.
      retentionBytes: spec.config.retentionBytes < 0 || compactOnly ? undefined
        : spec.config.retentionBytes,
      retentionMs: spec.config.retentionMs < 0 || compactOnly ? undefined
        : spec.config.retentionMs,
      flushPolicy: spec.config.flush,
      reopenInProcess: reopen,
      // Recovery is synchronous, so the heartbeat cannot tick: the progress word tells the
      // supervisor this actor is slow, not stuck.
      onRecoveryProgress: () => Atomics.add(this.i32, this.word(ACTOR_PROGRESS), 1),
      log: (line) =>
        console.warn(`[actor ${this.actorIndex} ${spec.topic}-${spec.partition}] ${line}`),
    });
    Atomics.add(this.i32, this.word(ACTOR_PROGRESS), 1);
    Atomics.store(this.i32, this.word(ACTOR_STATE),
      this.lifecycle === 'ready' ? ActorState.READY : ActorState.STARTING);
    this.partitions.set(spec.slot, {
      spec, log, touched: false, flushNeeded: false, flushInFlight: false, flushAgain: false,
      flushError: undefined, checkpointFailing: false, checkpointedKey: '',
    });
    this.publish(spec.slot, log);
    this.publishLogGauges(spec.slot, log);
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
    try {
      hosted.log.close();
    } catch (error) {
      // The log is closed either way; only its last checkpoint may be missing (a full disk),
      // which matters not at all for a partition being deleted.
      if (!remove || !(error instanceof MambaError)) throw error;
    }
    if (remove) this.block.setPartitionState(slot, PartitionState.DELETED);
    return null;
  }

  private hosted(slot: number): HostedPartition {
    const hosted = this.partitions.get(slot);
    if (hosted === undefined) {
      throw new MambaError('ILLEGAL_STATE', `actor ${this.actorIndex} does not host slot ${slot}`);
    }
    return hosted;
  }

  /** Between drain passes (this thread is the log's one writer): see PartitionLog.cleanPlan. */
  private cleanPlan(slot: number, rollActive: boolean): CleanPlan {
    const hosted = this.hosted(slot);
    const plan = hosted.log.cleanPlan(rollActive);
    if (rollActive) this.publish(slot, hosted.log);
    return {
      dir: hosted.spec.dir, ...plan, indexIntervalBytes: hosted.log.config.indexIntervalBytes,
    };
  }

  /** The swap of segments/clean-swap.ts, between drain passes; readers keep their mappings. */
  private swapSegments(slot: number, segments: CleanSegmentSpec[]): boolean {
    const swapped = this.hosted(slot).log.swapCleaned(segments);
    if (swapped) this.publish(slot, this.hosted(slot).log);
    return swapped;
  }

  /**
   * Appends a transaction marker between drain passes (this thread is the log's one writer),
   * publishes the new high-watermark and last stable offset, and answers once the marker is
   * durable. The flush joins the log's queue of flushes (PartitionLog.flushAsync), so it runs
   * alongside the drain loop's own group commits, never two at once.
   */
  private async writeMarker(command: ActorCommand & { kind: 'write-marker' }):
    Promise<{ offset: number }> {
    const hosted = this.hosted(command.slot);
    const result = hosted.log.appendMarker({
      producerId: command.producerId, producerEpoch: command.producerEpoch,
      commit: command.commit, coordinatorEpoch: command.coordinatorEpoch,
    });
    this.publish(command.slot, hosted.log);
    // Counted as a flush in flight, so the drain loop waits without blocking the event loop
    // that delivers the flush's completion (a blocking park would hold the reply up to
    // heartbeatIntervalMs).
    this.markerFlushesInFlight++;
    try {
      await hosted.log.flushAsync();
    } finally {
      this.markerFlushesInFlight--;
    }
    if (this.partitions.get(command.slot) === hosted) this.publish(command.slot, hosted.log);
    return { offset: result.baseOffset };
  }

  private addSession(spec: ActorSessionSpec): null {
    this.sessions.set(spec.sessionId, {
      spec, control: new Int32Array(spec.control), request: SpscRing.attach(spec.request),
      ack: SpscRing.attach(spec.ack), acks: [], groups: [],
    });
    this.ringSelf();
    return null;
  }

  private stats(): ActorStats {
    return {
      actorIndex: this.actorIndex, epoch: this.epoch, ...this.counters,
      sessions: this.sessions.size,
      heap: heapStats(),
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
      if (session.acks.length > 0) this.writeReadyAcks(session);
      // Room for every ack this read can produce, besides the acks already waiting.
      const room = Math.floor(session.ack.bytesFree / ackFrameBytes) - session.acks.length;
      const limit = Math.min(ringReadFrameCountMax, room);
      if (limit <= 0) continue;
      const group: ReadGroup = { mark: 0, waitingAcks: 0 };
      const read = session.request.read(limit, (type, payload, flags) => {
        assert(type === FRAME_PRODUCE, `produce frame type (got ${type})`);
        this.acknowledge(session, group, this.process(payload, flags));
      });
      if (read > 0) {
        group.mark = session.request.readMark;
        session.groups.push(group);
      } else if (session.groups.length === 0 &&
        Atomics.load(session.control, SESSION_CLOSED) === 1) {
        this.sessions.delete(session.spec.sessionId);
      }
      frames += read;
    }
    if (frames > 0) {
      this.counters.framesProcessed += frames;
      if (this.crashMode !== undefined) this.crashNow();
      this.publishTouched();
      this.startFlushes();
    }
    // Acks whose flush landed since the last pass go now, and settled reads are released.
    for (const session of this.sessions.values()) {
      if (session.acks.length > 0) this.writeReadyAcks(session);
      this.releaseSettled(session);
    }
    return frames;
  }

  /** Releases the oldest reads none of whose acks still waits (invariant 2: appended, acked). */
  private releaseSettled(session: AttachedSession): void {
    let mark: number | undefined;
    while (session.groups.length > 0 && session.groups[0].waitingAcks === 0) {
      mark = session.groups.shift()!.mark;
    }
    if (mark !== undefined) session.request.releaseTo(mark);
  }

  /**
   * An ack that needs no flush is written at once, after the partition's new high-watermark is
   * published (so a producer that sees its ack can read its record back): the producer thread
   * starts its next batch while this pass is still appending, instead of the two threads taking
   * turns. Acks that wait for a flush, or find the ack ring full, wait in `session.acks`.
   */
  private acknowledge(session: AttachedSession, group: ReadGroup, ack: PendingAck): void {
    if (ack.durableAt === 0) {
      this.publishTouched();
      if (this.writeAck(session, ack)) {
        ringSession(session.control);
        return;
      }
    }
    ack.group = group;
    group.waitingAcks++;
    session.acks.push(ack);
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
    if (hosted === undefined) return failed(correlation, slot, 'UNKNOWN_TOPIC');
    const afterFlush = acks === ACKS_ALL || hosted.spec.config.flush === 'batch';
    const batch = payload.subarray(PRODUCE_BATCH);
    try {
      const header = readBatchHeader(batch, 0);
      // Markers are written by the transaction coordinator only (write-marker), never produced.
      if (header.control) return failed(correlation, slot, 'INVALID_RECORD');
      if (header.transactional &&
        hosted.log.isTransactionFenced(Number(header.producerId), header.producerEpoch)) {
        return failed(correlation, slot, 'PRODUCER_FENCED');
      }
      const check = hosted.log.producers.check(Number(header.producerId), header.producerEpoch,
        header.baseSequence, header.recordCount);
      if (check.kind === 'error') return failed(correlation, slot, check.code);
      if (afterFlush) hosted.flushNeeded = true;
      if (check.kind === 'duplicate') {
        this.counters.duplicatesSkipped++;
        const durableAt = afterFlush ? check.lastOffset + 1 : 0;
        return { correlation, wireError: 0, baseOffset: check.baseOffset, slot, durableAt };
      }
      const result = hosted.log.append(batch);
      hosted.touched = true;
      this.counters.batchesAppended++;
      this.block.metrics.addAppended(slot, header.recordCount, batch.length);
      const durableAt = afterFlush ? result.lastOffset + 1 : 0;
      return { correlation, wireError: 0, baseOffset: result.baseOffset, slot, durableAt };
    } catch (error) {
      if (error instanceof MambaError) return failed(correlation, slot, error.code);
      throw error;
    }
  }

  /** Group commit: one flush per log for every batch of this pass that waits for one. */
  private startFlushes(): void {
    for (const [slot, hosted] of this.partitions) {
      if (!hosted.flushNeeded) continue;
      hosted.flushNeeded = false;
      this.startFlush(slot, hosted);
    }
  }

  /**
   * Flushes a log on the I/O thread pool (fdatasync) while this thread goes on draining rings
   * and appending: acks wait for the durable offset, the actor does not. One flush per log at a
   * time; requests meanwhile are coalesced into the next. When it lands, the durable offset is
   * published and the loop is woken to write the acks that waited for it.
   */
  private startFlush(slot: number, hosted: HostedPartition): void {
    if (hosted.flushInFlight) {
      hosted.flushAgain = true;
      return;
    }
    hosted.flushInFlight = true;
    const startedMs = performance.now();
    hosted.log.flushAsync().then(() => {
      this.counters.flushCount++;
      this.block.metrics.observe(SharedHistogram.FLUSH, (performance.now() - startedMs) / 1000);
      hosted.flushError = undefined;
    }, (error: unknown) => {
      // The bytes are in the log but not known durable: the waiting acks fail (retriable; an
      // idempotent retry is recognised and answered with the original offsets).
      hosted.flushError = error instanceof MambaError ? error.code : 'IO_ERROR';
    }).finally(() => {
      hosted.flushInFlight = false;
      this.lastActiveMs = performance.now();
      if (this.partitions.get(slot) !== hosted) return;
      this.publish(slot, hosted.log);
      if (hosted.flushAgain) {
        hosted.flushAgain = false;
        this.startFlush(slot, hosted);
      }
      this.ringSelf();
    });
  }

  private publishLogGauges(slot: number, log: PartitionLog): void {
    const stats = log.stats();
    this.block.metrics.publishLogGauges(slot, stats.segmentCount, stats.sizeBytes);
  }

  private publish(slot: number, log: PartitionLog): void {
    this.block.publishOffsets(slot, log.logEndOffset, log.durableOffset, log.logStartOffset,
      log.lastStableOffset);
  }

  /**
   * Writes the waiting acks that may go now (their partition is durable far enough, or its
   * flush failed), in any order; true once none waits. Stops if the ack ring is full.
   */
  private writeReadyAcks(session: AttachedSession): boolean {
    let written = 0;
    const waiting: PendingAck[] = [];
    for (const ack of session.acks) {
      const ready = this.readyAck(ack);
      if (ready === undefined || !this.writeAck(session, ready)) {
        waiting.push(ack);
      } else {
        written++;
        ack.group!.waitingAcks--;
      }
    }
    session.acks = waiting;
    if (written > 0) ringSession(session.control);
    return waiting.length === 0;
  }

  /** The ack to send now for a waiting one, or undefined if it must wait longer. */
  private readyAck(ack: PendingAck): PendingAck | undefined {
    if (ack.durableAt === 0) return ack;
    const hosted = this.partitions.get(ack.slot);
    if (hosted === undefined) return failed(ack.correlation, ack.slot, 'UNKNOWN_TOPIC');
    if (hosted.log.durableOffset >= ack.durableAt) return ack;
    if (hosted.flushError !== undefined && !hosted.flushInFlight) {
      return failed(ack.correlation, ack.slot, hosted.flushError);
    }
    return undefined;
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
        this.startFlush(slot, hosted);
      }
    }
    if (nowMs - this.lastLogGaugesMs >= logGaugesIntervalMs) {
      this.lastLogGaugesMs = nowMs;
      for (const [slot, hosted] of this.partitions) this.publishLogGauges(slot, hosted.log);
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
    for (const session of this.sessions.values()) if (session.groups.length > 0) return false;
    return true;
  }

  /**
   * `full`: flush everything first, so the recovery point is the log end (see PartitionLog).
   *
   * A checkpoint that cannot be written (a full disk: the temp file gets no block) leaves the
   * last good one in place, so recovery would start further back and validate more log, but
   * lose nothing. The actor goes on serving and tries again at the next interval; a periodic
   * failure must not crash it (that would turn a full disk into a restart loop and a given-up
   * actor). An explicit checkpoint (`full`) reports the first failure to its caller.
   */
  private checkpointAll(full?: boolean): void {
    let firstError: MambaError | undefined;
    for (const [slot, hosted] of this.partitions) {
      // A partition with nothing new since its last checkpoint is left alone: an idle broker
      // wrote and fsync'd a checkpoint file per partition per second (issue 15: idle CPU).
      const key = checkpointKey(hosted.log);
      if (!full && !hosted.checkpointFailing && key === hosted.checkpointedKey) continue;
      // Periodic checkpoints flush nothing on this thread: a flush on the I/O pool moves the
      // durable offset, and the next checkpoint records it as the recovery point.
      if (!full) this.startFlush(slot, hosted);
      try {
        // Explicitly not full when periodic: the log's default for flush 'batch' is a blocking
        // msync of the whole tail, which stalled the actor every second (its group commits on
        // the I/O pool already make every acknowledged batch durable).
        hosted.log.checkpoint(full === true);
        hosted.checkpointedKey = key;
      } catch (error) {
        if (!(error instanceof MambaError)) throw error;
        firstError ??= error;
        this.counters.checkpointFailures++;
        if (!hosted.checkpointFailing) {
          this.warn(hosted, `checkpoint not written: ${error.message}`);
        }
        hosted.checkpointFailing = true;
        continue;
      } finally {
        this.publish(slot, hosted.log);
      }
      if (hosted.checkpointFailing) this.warn(hosted, 'checkpoints are written again');
      hosted.checkpointFailing = false;
    }
    if (full && firstError !== undefined) throw firstError;
  }

  private warn(hosted: HostedPartition, line: string): void {
    const { topic, partition } = hosted.spec;
    console.warn(`[actor ${this.actorIndex} ${topic}-${partition}] ${line}`);
  }

  /**
   * Sleeps until a producer rings the doorbell, a control message arrives, or the heartbeat
   * interval passes. The doorbell value is read before announcing sleep and checking the rings
   * once more, so a producer that commits after that check bumps a value the wait compares
   * against, and the wait returns at once (see ControlBlock.ringActor).
   *
   * With nothing pending on its event loop (no flush in flight) the actor blocks in
   * `Atomics.wait`: a producer's notify then wakes this thread directly, tens of microseconds
   * sooner than a `waitAsync`, whose wake-up goes through the event loop. Control messages need
   * that loop, so the supervisor rings the doorbell after posting one (rpc.ts), the actor does
   * not block while one it was posted waits undispatched (control-inbox.ts has the protocol),
   * and the loop gets a turn after every block (a block ends by `parkCapMs`).
   */
  private async sleepUntilWork(): Promise<void> {
    const doorbell = this.word(ACTOR_DOORBELL);
    const seen = Atomics.load(this.i32, doorbell);
    Atomics.store(this.i32, this.word(ACTOR_SLEEPING), 1);
    let turn = false;
    if (!this.anyFrames()) {
      if (this.anyFlushInFlight()) {
        await waitForChange(this.i32, doorbell, seen, heartbeatIntervalMs);
      } else if (this.inbox.pending) {
        turn = true;
      } else {
        if (Atomics.wait(this.i32, doorbell, seen, this.parkCapMs(performance.now())) ===
          'timed-out' && (this.anyFrames() || this.inbox.pending) &&
          Atomics.load(this.i32, doorbell) === seen) {
          // Work arrived and no one rang: every frame or command posted after `sleeping` was
          // stored rings, and the looks above catch every one posted before (for tests).
          this.counters.lostWakeups++;
        }
        turn = true;
      }
    }
    Atomics.store(this.i32, this.word(ACTOR_SLEEPING), 0);
    if (turn) await yieldToEventLoop();
  }

  /**
   * The longest blocking park: the heartbeat interval while the actor was active lately (the
   * periodic flush, checkpoint and gauges that follow traffic keep their timing), while acks
   * wait for room in their ring, or while an interval flush is pending; once all is quiet,
   * `actorIdleParkMsMax`. Work that comes rings the doorbell whatever the cap: producers when
   * the sleeping word is set, the supervisor after each command and when the heartbeat has
   * not moved for half its deadline (Supervisor.checkHeartbeats). Retention by time on a quiet
   * actor runs up to that cap later.
   */
  private parkCapMs(nowMs: number): number {
    if (nowMs - this.lastActiveMs < actorQuietAfterMs) return heartbeatIntervalMs;
    for (const session of this.sessions.values()) {
      if (session.acks.length > 0) return heartbeatIntervalMs;
    }
    for (const hosted of this.partitions.values()) {
      const flush = hosted.spec.config.flush;
      if (flush === 'none' || flush === 'batch') continue;
      if (hosted.log.durableOffset < hosted.log.logEndOffset) return heartbeatIntervalMs;
    }
    return actorIdleParkMsMax;
  }

  /** A flush lands through the event loop, which a blocking wait would hold up. */
  private anyFlushInFlight(): boolean {
    if (this.markerFlushesInFlight > 0) return true;
    for (const hosted of this.partitions.values()) if (hosted.flushInFlight) return true;
    return false;
  }

  /**
   * Whether a producer committed frames not read yet. Waiting acks do not count: a flush that
   * lands rings the doorbell itself, and an ack ring that is full is looked at again after the
   * heartbeat interval.
   */
  private anyFrames(): boolean {
    for (const session of this.sessions.values()) {
      if (session.request.bytesAvailable > 0) return true;
    }
    return this.crashMode !== undefined || this.lifecycle !== 'ready';
  }

  private ringSelf(): void {
    const doorbell = this.word(ACTOR_DOORBELL);
    Atomics.add(this.i32, doorbell, 1);
    Atomics.notify(this.i32, doorbell);
  }

  /**
   * Chaos hook: dies (or hangs until the supervisor's heartbeat deadline terminates it) after
   * appending this pass's frames, before acking or releasing them.
   */
  private crashNow(): never {
    const mode = this.crashMode;
    if (mode === 'exit') process.exit(1);
    if (mode === 'hang') {
      for (;;) {
        // Spins: the thread stays alive while its heartbeat word stops moving.
      }
    }
    if (mode === 'hang-wait') {
      // No one ever notifies this word: the thread blocks until it is terminated.
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    throw new Error(`actor ${this.actorIndex}: crash requested (${mode})`);
  }

  private shutdown(): void {
    if (this.lifecycle === 'ready') this.transition('draining');
    this.drainPass();
    // Flush here, synchronously, so the acks still waiting for a flush can go before closing.
    for (const [slot, hosted] of this.partitions) {
      hosted.log.flush();
      this.publish(slot, hosted.log);
    }
    for (const session of this.sessions.values()) {
      this.writeReadyAcks(session);
      this.releaseSettled(session);
    }
    for (const hosted of this.partitions.values()) {
      try {
        hosted.log.close();
      } catch (error) {
        // Closed without its final checkpoint (a full disk): the last good one stays, and the
        // next open recovers from it. The other partitions still close.
        if (!(error instanceof MambaError)) throw error;
        this.warn(hosted, `closed without a final checkpoint: ${error.message}`);
      }
    }
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

function failed(correlation: number, slot: number, code: MambaErrorCode): PendingAck {
  return { correlation, wireError: errorToWireCode(code), baseOffset: -1, slot, durableAt: 0 };
}

/**
 * What a checkpoint of the log would record, as far as it can change: appends move the end (and
 * the producers' state with it), flushes the durable offset, retention the start, a roll or a
 * cleaner's swap the segments.
 */
function checkpointKey(log: PartitionLog): string {
  const { segmentCount, sizeBytes } = log.stats();
  return `${log.logEndOffset}:${log.durableOffset}:${log.logStartOffset}:${segmentCount}:` +
    `${sizeBytes}`;
}

/** This thread's isolate, for `stats()`: a memory breakdown needs each worker's own heap. */
function heapStats(): ActorHeapStats {
  const heap = v8.getHeapStatistics();
  return {
    usedBytes: heap.used_heap_size, residentBytes: heap.total_physical_size,
    externalBytes: heap.external_memory,
    youngGenerationSizeMbMax: resourceLimits.maxYoungGenerationSizeMb ?? 0,
  };
}

function pick(stats: { segmentCount: number; sizeBytes: number }) {
  return { segmentCount: stats.segmentCount, sizeBytes: stats.sizeBytes };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
