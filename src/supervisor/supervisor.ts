/**
 * The supervisor: runs on the main thread, spawns one worker per partition actor, gives each
 * its partitions and sessions, watches its heartbeat in shared memory, and restarts it when it
 * dies. It never blocks and never touches record data.
 *
 * Actor lifecycle (asserted transitions):
 *
 *   starting ──ready──▶ ready ──exit──▶ restarting ──spawned──▶ starting   (ready may also fail)
 *       │                 │                 │
 *       └──exit──▶ restarting               └──storm guard──▶ failed ──cool-down──▶ starting
 *   any ──stop()──▶ stopped
 *
 * Giving up: past the restart storm guard, or after `bootstrapFailuresMax` deaths of an actor
 * that never became ready (a worker that cannot start at all, issue 10 gap 2), the actor is
 * `failed`: `partition-failed` fires for each of its partitions and `actor-failed` once, with
 * the worker's own error as `error` (and as the `cause` of the PARTITION_FAILED callers get).
 * After `actorRetryCooldownMs` it is started afresh; `restartActor` does so at once.
 *
 * A restart replays the actor's whole assignment: every partition is reopened (which runs
 * segment-log recovery from its checkpoint) and every session's rings are attached again, so
 * frames the dead actor had read but not released are read again (invariant 2).
 *
 * Heartbeats: the actor bumps its heartbeat word on every loop turn and at least every
 * `heartbeatIntervalMs` (every `actorIdleParkMsMax` once quiet; the watchdog rings a parked
 * actor at half the deadline). The watchdog looks every tenth of the deadline (100–500 ms): a
 * hang is noticed that much after the deadline at most, and an idle broker's main thread does
 * not wake 10 times a second for it. An actor whose heartbeat has not moved for
 * `heartbeatDeadlineMs` is terminated and restarted — unless it is recovering and its progress
 * word moves, since a large log can take longer to recover than a heartbeat deadline. A new
 * worker that has not answered yet (it is still loading its modules) gets `actorLoadDeadlineMs`
 * instead.
 *
 * Warm standbys (`restart.standby`, on by default): once an actor has been ready for
 * `standbyDelayMs`, a second worker is started for it with `standby: true`; it loads every
 * module and waits, touching no shared memory. When the actor's worker has exited (never before:
 * the rings and logs have one writer), the restart takes the standby (`adopt` with the new
 * epoch) instead of starting a thread, and the next standby is started once the new actor has
 * been ready for `standbyDelayMs`. A standby that dies before it answered is not replaced until
 * its actor is ready again, so a worker that cannot start never loops here.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Remote } from 'comlink';
import { assert } from '../assert.js';
import { MambaError, fromWire } from '../errors.js';
import {
  actorLoadDeadlineMs, bootstrapFailuresMax, heartbeatIntervalMs, standbyDelayMs,
  txnMarkerTimeoutMs,
} from '../constants.js';
import type { RestartConfig } from '../options.js';
import {
  ACTOR_EPOCH, ACTOR_HEARTBEAT, ACTOR_PROGRESS, ACTOR_STATE, ActorState, ControlBlock,
  PARTITION_ACTOR_INDEX, PartitionState,
} from '../shm/index.js';
import type {
  ActorCommand, ActorEndpoint, ActorReplies, ActorSessionSpec, ActorWorkerData, CrashMode,
  PartitionRecovered, PartitionSpec,
} from '../actors/index.js';
import { countPosted, newControlPosted, wrapActor } from '../actors/index.js';
import { SpscRing, ringUsedBytes, type IdleConfig } from '../ringbuffer/index.js';
import { wakeSession } from '../shm/index.js';
import type { CleanSegmentSpec } from '../segments/index.js';
import { workerUrl } from '../worker-url.js';
import { actorLaunchOptions } from '../worker-exec-argv.js';
import { RestartPolicy } from './restart-policy.js';

const watchdogIntervalMsMax = 500;

type Lifecycle = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

const transitions: Record<Lifecycle, Lifecycle[]> = {
  starting: ['ready', 'restarting', 'failed', 'stopped'],
  ready: ['restarting', 'failed', 'stopped'],
  restarting: ['starting', 'failed', 'stopped'],
  failed: ['starting', 'stopped'],
  stopped: [],
};

export interface ActorExitEvent {
  actorIndex: number;
  exitCode: number;
  reason: string;
  atMs: number;
}

export interface ActorRestartEvent {
  actorIndex: number;
  epoch: number;
  restartsInWindow: number;
  /**
   * From the old worker's exit to the new one having recovered every partition and taken its
   * sessions back (0.1 ms resolution).
   */
  downtimeMs: number;
  recoveryMs: number;
  /** Where the downtime went (issue 15): the phases add up to `downtimeMs`, bar rounding. */
  phasesMs: RestartPhases;
  /**
   * The standby at the restart: `loaded` (adopted ready), `loading` (adopted, its modules still
   * loading: the adoption waited for them), or `none` (a fresh worker was started).
   */
  standby: 'loaded' | 'loading' | 'none';
}

/** An actor restart's downtime by phase, in ms (ActorRestartEvent). */
export interface RestartPhases {
  /**
   * The exit event to the spawn: the restart policy's backoff and the timer's lateness (and a
   * successor that died while starting, if one did).
   */
  backoffMs: number;
  /** The spawn to the worker's answer to `adopt` (a standby) or `ping` (a fresh worker). */
  startMs: number;
  /** The answer to every partition reopened (segment-log recovery from the checkpoint). */
  reopenMs: number;
  /** Every partition reopened to the sessions attached and the actor marked ready. */
  attachMs: number;
}

/** A worker (re)started and recovered every partition it serves. */
export interface ActorReadyEvent {
  actorIndex: number;
  epoch: number;
  /** From the worker's start (or its adoption) to ready. */
  recoveryMs: number;
  /** The worker was the actor's warm standby, adopted instead of started. */
  standby: boolean;
}

/** A warm standby loaded its modules and waits to take over (`threadId`: its worker). */
export interface StandbyReadyEvent {
  actorIndex: number;
  threadId: number;
}

export interface PartitionRecoveredEvent extends PartitionRecovered {
  actorIndex: number;
  epoch: number;
}

export interface ActorFailedEvent {
  actorIndex: number;
  reason: string;
  /** The worker's own error (uncaught exception, or its exit), when there is one. */
  error: Error;
  /** When the supervisor will start it afresh (`Date.now()` clock). */
  retryAtMs: number;
}

/**
 * A partition could not be reopened (a corrupt log, a full disk, its actor given up): it is
 * marked failed, and producers to it get `PARTITION_FAILED`.
 */
export interface PartitionFailedEvent {
  actorIndex: number;
  topic: string;
  partition: number;
  /** Usually a MambaError (CORRUPT_LOG, DISK_FULL, …) from the partition actor. */
  error: Error;
}

/** A worker loaded ahead of need for one actor (see the file comment). */
interface Standby {
  worker: Worker;
  remote: Remote<ActorEndpoint>;
  /** It answered a ping: its modules are loaded. */
  loaded: boolean;
  /** Its listeners while it waits, removed when it is adopted. */
  onExit: (code: number) => void;
  onError: (error: Error) => void;
  error: Error | undefined;
}

interface ActorRecord {
  index: number;
  lifecycle: Lifecycle;
  worker: Worker | undefined;
  remote: Remote<ActorEndpoint> | undefined;
  epoch: number;
  policy: RestartPolicy;
  partitions: Map<number, PartitionSpec>;
  /**
   * Slots whose log recovered in this process (fully, at their first open): a restart reopens
   * them from their recovery point. A slot whose recovery failed is not here, so its next open
   * validates its whole recovery segment again instead of passing over the damage.
   */
  recovered: Set<number>;
  /** Resolves when the actor is ready; replaced on each (re)start. */
  ready: Promise<void>;
  markReady: () => void;
  exited: Promise<never>;
  lastHeartbeat: number;
  lastProgress: number;
  lastSignOfLifeMs: number;
  exitWaiters: Array<() => void>;
  terminateReason: string | undefined;
  /** The current worker's uncaught error, if it had one. */
  workerError: Error | undefined;
  /** The current worker has answered once: it loaded, and its heartbeat deadline applies. */
  loaded: boolean;
  /** Whether any worker of this actor ever became ready; `startFailures`: deaths before. */
  everReady: boolean;
  startFailures: number;
  /** Why the actor was given up, while it is `failed`. */
  failure: MambaError | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  /** The warm standby, when one is started; `standbyTimer`: it is about to be. */
  standby: Standby | undefined;
  standbyTimer: NodeJS.Timeout | undefined;
  /** The current (re)start's phase marks, `performance.now()` clock (RestartPhases). */
  marks: StartMarks;
}

interface StartMarks {
  spawnedAtMs: number;
  answeredAtMs: number;
  reopenedAtMs: number;
  readyAtMs: number;
  standby: ActorRestartEvent['standby'];
}

export class Supervisor extends EventEmitter {
  private readonly actors: ActorRecord[] = [];
  private readonly sessions = new Map<number, ActorSessionSpec[]>();
  private watchdog: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    readonly controlBlock: ControlBlock,
    readonly actorCount: number,
    private readonly limits: {
      restart: RestartConfig; heartbeatDeadlineMs: number; actorRetryCooldownMs: number;
      idle: IdleConfig;
    },
  ) {
    super();
  }

  async start(): Promise<void> {
    for (let index = 0; index < this.actorCount; index++) {
      const record = this.newRecord(index);
      this.actors.push(record);
      this.spawn(record);
    }
    this.watchdog = setInterval(() => this.checkHeartbeats(), watchdogIntervalMs(
      this.limits.heartbeatDeadlineMs));
    this.watchdog.unref();
    await Promise.all(this.actors.map((record) => this.untilReady(record)));
  }

  /** Opens a partition on its actor (running recovery there) and records the assignment. */
  async openPartition(actorIndex: number, spec: PartitionSpec): Promise<PartitionRecovered> {
    const record = this.actors[actorIndex];
    Atomics.store(this.controlBlock.i32,
      this.controlBlock.partitionWord(spec.slot, PARTITION_ACTOR_INDEX), actorIndex);
    this.controlBlock.setPartitionState(spec.slot, PartitionState.RECOVERING);
    record.partitions.set(spec.slot, spec);
    let recovered: PartitionRecovered;
    record.recovered.delete(spec.slot);
    try {
      recovered = await this.call(record, { kind: 'open-partition', spec });
    } catch (error) {
      this.controlBlock.setPartitionState(spec.slot, PartitionState.FAILED);
      throw error;
    }
    record.recovered.add(spec.slot);
    this.emit('partition-recovered', { ...recovered, actorIndex, epoch: record.epoch });
    return recovered;
  }

  async closePartition(actorIndex: number, slot: number, remove: boolean): Promise<void> {
    const record = this.actors[actorIndex];
    record.partitions.delete(slot);
    record.recovered.delete(slot);
    if (record.lifecycle === 'failed') return;
    if (remove) await this.call(record, { kind: 'delete-partition', slot });
    else await this.call(record, { kind: 'close-partition', slot });
  }

  /** Attaches a producer session's rings to every actor (one pair of rings per actor). */
  addSession(specs: ActorSessionSpec[]): void {
    assert(specs.length === this.actorCount, 'a session has rings for every actor');
    this.sessions.set(specs[0].sessionId, specs);
    specs.forEach((spec, actorIndex) => {
      const record = this.actors[actorIndex];
      if (record.lifecycle === 'failed') return;
      // Fire and forget: frames wait in the ring until the actor attaches it.
      this.call(record, { kind: 'add-session', session: spec }).catch(() => undefined);
    });
  }

  /** Since the actor's heartbeat (or recovery progress) last moved, as the watchdog saw it. */
  heartbeatAgeMs(actorIndex: number): number {
    return Math.max(0, Date.now() - this.actors[actorIndex].lastSignOfLifeMs);
  }

  /** The bytes waiting in an actor's request rings, and their capacity, summed over sessions. */
  ringOccupancy(actorIndex: number): { usedBytes: number; capacityBytes: number } {
    let usedBytes = 0;
    let capacityBytes = 0;
    for (const specs of this.sessions.values()) {
      const request = specs[actorIndex].request;
      usedBytes += ringUsedBytes(request);
      capacityBytes += request.capacityBytes;
    }
    return { usedBytes, capacityBytes };
  }

  /**
   * After the actors stopped: closes every session's rings and wakes its ack pump, so producers
   * in any thread fail their pending and future sends with BROKER_CLOSED instead of timing out.
   */
  closeSessions(): void {
    for (const specs of this.sessions.values()) {
      for (const spec of specs) {
        SpscRing.attach(spec.request).close('broker closed');
        SpscRing.attach(spec.ack).close('broker closed');
      }
      wakeSession(new Int32Array(specs[0].control));
    }
    this.sessions.clear();
  }

  async stats(actorIndex: number): Promise<ActorReplies['stats']> {
    return this.call(this.actors[actorIndex], { kind: 'stats' });
  }

  /** The log cleaner's two calls (supervisor/log-cleaner.ts): what to clean, then the swap. */
  async cleanPlan(actorIndex: number, slot: number, rollActive: boolean):
    Promise<ActorReplies['clean-plan']> {
    return this.call(this.actors[actorIndex], { kind: 'clean-plan', slot, rollActive });
  }

  async swapSegments(actorIndex: number, slot: number, segments: CleanSegmentSpec[]):
    Promise<boolean> {
    return this.call(this.actors[actorIndex], { kind: 'swap-segments', slot, segments });
  }

  /**
   * Writes a transaction marker (commit or abort) into `topic`'s `partition` through its
   * owning actor and resolves with the marker's offset once it is durable. Waits for an actor
   * that is restarting, up to `timeoutMs` (then a retriable TIMEOUT; the marker may still land,
   * and a duplicate marker is harmless). PRODUCER_FENCED for an epoch older than the
   * partition knows; UNKNOWN_TOPIC for a partition this broker does not host.
   */
  async writeTxnMarker(topic: string, partition: number, marker: {
    producerId: number; producerEpoch: number; commit: boolean; coordinatorEpoch: number;
  }, timeoutMs: number = txnMarkerTimeoutMs): Promise<{ offset: number }> {
    const owner = this.ownerOf(topic, partition);
    if (owner === undefined) {
      throw new MambaError('UNKNOWN_TOPIC', `no partition ${topic}-${partition} to mark`);
    }
    const written = this.call(owner.record, {
      kind: 'write-marker', slot: owner.slot, producerId: marker.producerId,
      producerEpoch: marker.producerEpoch, commit: marker.commit,
      coordinatorEpoch: marker.coordinatorEpoch,
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MambaError('TIMEOUT',
        `marker for ${topic}-${partition} not written within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([written, timedOut]);
    } finally {
      clearTimeout(timer);
      written.catch(() => undefined);
    }
  }

  /** The actor and slot hosting `topic`'s `partition`, if this broker hosts it. */
  private ownerOf(topic: string, partition: number):
    { record: ActorRecord; slot: number } | undefined {
    for (const record of this.actors) {
      for (const [slot, spec] of record.partitions) {
        if (spec.topic === topic && spec.partition === partition) return { record, slot };
      }
    }
    return undefined;
  }

  async checkpointAll(): Promise<void> {
    await Promise.all(this.actors.filter((r) => r.lifecycle === 'ready')
      .map((record) => this.call(record, { kind: 'checkpoint' })));
  }

  /** Chaos hook: crashes an actor the way `mode` says and resolves once its worker exited. */
  async crash(actorIndex: number, mode: CrashMode | 'terminate'): Promise<void> {
    const record = this.actors[actorIndex];
    if (record === undefined) {
      throw new MambaError('INVALID_CONFIG', `no actor ${actorIndex}`, { detail: { actorIndex } });
    }
    await this.untilReady(record);
    const exited = new Promise<void>((resolve) => record.exitWaiters.push(resolve));
    if (mode === 'terminate') {
      record.terminateReason = 'terminated by crashActor';
      void record.worker?.terminate();
    } else {
      // The reply never comes: the actor dies while handling it.
      void record.remote?.call({ kind: 'crash', mode }).catch(() => undefined);
    }
    await exited;
  }

  /**
   * Starts a given-up actor afresh now instead of after its cool-down (a running one is left
   * alone) and resolves once it is ready, or rejects with why it failed again.
   */
  async restartActor(actorIndex: number): Promise<void> {
    const record = this.actors[actorIndex];
    assert(record !== undefined, `actor ${actorIndex} exists`);
    if (record.lifecycle === 'failed') this.revive(record);
    await this.untilReady(record);
  }

  /**
   * Opens a partition again whose recovery failed on a running actor (its actor being given up
   * is `restartActor`'s case). Resolves once it recovered.
   */
  async reopenFailedPartition(actorIndex: number, slot: number): Promise<void> {
    const record = this.actors[actorIndex];
    const spec = record.partitions.get(slot);
    assert(spec !== undefined, `slot ${slot} is assigned to actor ${actorIndex}`);
    await this.openPartition(actorIndex, spec);
  }

  /** The lifecycle of an actor, for the broker's checks. */
  actorFailed(actorIndex: number): boolean {
    return this.actors[actorIndex].lifecycle === 'failed';
  }

  /** Resolves once every actor is ready again (or failed for good). */
  async settled(): Promise<void> {
    await Promise.all(this.actors.map((record) => this.untilReady(record).catch(() => undefined)));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    await Promise.all(this.actors.map(async (record) => {
      clearTimeout(record.retryTimer);
      clearTimeout(record.standbyTimer);
      const standby = record.standby;
      record.standby = undefined;
      if (standby !== undefined) await standby.worker.terminate();
      const wasReady = record.lifecycle === 'ready';
      this.transition(record, 'stopped');
      if (wasReady) {
        await Promise.race([this.callRaw(record, { kind: 'shutdown' }), record.exited])
          .catch(() => undefined);
      }
      await record.worker?.terminate();
    }));
  }

  private newRecord(index: number): ActorRecord {
    const record = {
      index, lifecycle: 'starting', worker: undefined, remote: undefined, epoch: 0,
      policy: new RestartPolicy(this.limits.restart), partitions: new Map(),
      recovered: new Set(), exitWaiters: [],
      lastHeartbeat: 0, lastProgress: 0, lastSignOfLifeMs: Date.now(),
      terminateReason: undefined, workerError: undefined, loaded: false, everReady: false,
      startFailures: 0,
      failure: undefined, retryTimer: undefined, standby: undefined, standbyTimer: undefined,
      marks: newMarks('none'),
    } as unknown as ActorRecord;
    this.resetReady(record);
    return record;
  }

  /** A new readiness promise; waiters on the old one are released and wait on the new one. */
  private resetReady(record: ActorRecord): void {
    const releaseOld = record.markReady as (() => void) | undefined;
    record.ready = new Promise<void>((resolve) => { record.markReady = resolve; });
    releaseOld?.();
  }

  private spawn(record: ActorRecord): void {
    record.epoch++;
    const i32 = this.controlBlock.i32;
    Atomics.store(i32, this.controlBlock.actorWord(record.index, ACTOR_EPOCH), record.epoch);
    Atomics.store(i32, this.controlBlock.actorWord(record.index, ACTOR_STATE), ActorState.STARTING);
    const standby = this.takeStandby(record);
    record.marks = newMarks(standby === undefined ? 'none' : standby.loaded ? 'loaded' : 'loading');
    const { worker, remote } = standby ?? this.newWorker(record.index, record.epoch, false);
    record.worker = worker;
    record.workerError = standby?.error;
    record.loaded = false;
    record.remote = remote;
    record.lastSignOfLifeMs = Date.now();
    record.policy.started(Date.now());
    record.exited = new Promise<never>((_, reject) => {
      worker.once('exit', (code) => {
        reject(new MambaError('ACTOR_UNAVAILABLE', `actor ${record.index} exited (${code})`));
        this.onExit(record, worker, code);
      });
    });
    record.exited.catch(() => undefined);
    worker.on('error', (error) => {
      record.workerError = error;
      record.terminateReason ??= String(error);
    });
    void this.bootstrap(record, standby !== undefined);
  }

  /**
   * A worker for an actor slot, and its remote. After each post the remote counts the message
   * (actors/control-inbox.ts) and rings the actor's doorbell: a parked actor blocks its thread
   * (partition-actor.ts, sleepUntilWork), and either sees the count or is woken to take it.
   */
  private newWorker(actorIndex: number, epoch: number, standby: boolean):
    { worker: Worker; remote: Remote<ActorEndpoint> } {
    const controlPosted = newControlPosted();
    const workerData: ActorWorkerData = {
      actorIndex, epoch, controlBlock: this.controlBlock.buffer, idle: this.limits.idle,
      controlPosted, ...(standby ? { standby } : {}),
    };
    const name = `mamba-actor-${actorIndex}${standby ? '-standby' : ''}`;
    const worker = new Worker(workerUrl('../actors/actor-main.js', import.meta.url),
      { workerData, name, ...actorLaunchOptions() });
    const posted = new Int32Array(controlPosted);
    const remote = wrapActor(worker, () => {
      countPosted(posted);
      this.controlBlock.ringActor(actorIndex);
    });
    return { worker, remote };
  }

  /** Starts the actor's standby `standbyDelayMs` after it became ready, if it is still ready. */
  private scheduleStandby(record: ActorRecord): void {
    if (!this.limits.restart.standby || record.standby !== undefined) return;
    clearTimeout(record.standbyTimer);
    const epoch = record.epoch;
    record.standbyTimer = setTimeout(() => {
      record.standbyTimer = undefined;
      if (this.stopping || record.epoch !== epoch || record.lifecycle !== 'ready') return;
      if (record.standby === undefined) this.startStandby(record);
    }, standbyDelayMs);
    record.standbyTimer.unref();
  }

  private startStandby(record: ActorRecord): void {
    // Its remote counts and rings like the actor's own: once adopted, this worker's drain loop
    // may be parked in Atomics.wait.
    const { worker, remote } = this.newWorker(record.index, 0, true);
    const standby: Standby = {
      worker, remote, loaded: false, error: undefined,
      onExit: () => {
        if (record.standby === standby) record.standby = undefined;
      },
      onError: (error) => { standby.error = error; },
    };
    worker.once('exit', standby.onExit);
    worker.on('error', standby.onError);
    record.standby = standby;
    standby.remote.call({ kind: 'ping' }).then(() => {
      standby.loaded = true;
      if (record.standby !== standby) return;
      this.emit('standby-ready',
        { actorIndex: record.index, threadId: worker.threadId } satisfies StandbyReadyEvent);
    }, () => undefined);
  }

  /** The actor's standby, detached from its waiting listeners, if it has one still alive. */
  private takeStandby(record: ActorRecord): Standby | undefined {
    const standby = record.standby;
    if (standby === undefined) return undefined;
    record.standby = undefined;
    standby.worker.off('exit', standby.onExit);
    standby.worker.off('error', standby.onError);
    return standby;
  }

  /**
   * Brings a fresh worker — or an adopted standby — up to its assignment, then marks it ready.
   * The first command (`adopt` or `ping`), the partitions' reopening and the sessions' attaching
   * are all sent at once: the worker's port keeps them in order until it listens, the actor
   * handles them in order (the sessions after every partition is open), and no round trip waits
   * on another (issue 15: each was one more wake-up of two threads on a loaded machine).
   */
  private async bootstrap(record: ActorRecord, adopt: boolean): Promise<void> {
    const startedAt = Date.now();
    const epoch = record.epoch;
    const marks = record.marks;
    const answered = this.callRaw(record, adopt ? { kind: 'adopt', epoch } : { kind: 'ping' });
    const reopened = Promise.all([...record.partitions.values()]
      .map((spec) => this.reopenPartition(record, spec, epoch)));
    const attached = Promise.all([...this.sessions.values()].map((specs) =>
      this.callRaw(record, { kind: 'add-session', session: specs[record.index] })));
    // A worker that dies rejects all three; the first awaited says so, the others are dropped.
    reopened.catch(() => undefined);
    attached.catch(() => undefined);
    try {
      // An answer proves the worker loaded and runs: only then can it count as having started.
      await answered;
      marks.answeredAtMs = performance.now();
      if (record.epoch === epoch) {
        // The answer is a sign of life, and the heartbeat deadline applies from now on: the
        // reopen commands were queued behind it, so the actor may recover before its loop
        // turns (and beats) once, and a worker that took seconds to load must not be judged
        // by the heartbeat it had before it could beat.
        record.loaded = true;
        record.lastSignOfLifeMs = Date.now();
      }
      await reopened;
      marks.reopenedAtMs = performance.now();
      await attached;
      marks.readyAtMs = performance.now();
    } catch {
      return; // The worker died while starting; onExit decides what comes next.
    }
    if (record.epoch !== epoch || record.lifecycle !== 'starting') return;
    this.transition(record, 'ready');
    record.policy.ready(Date.now());
    record.everReady = true;
    record.markReady();
    const recoveryMs = Date.now() - startedAt;
    this.emit('actor-ready',
      { actorIndex: record.index, epoch, recoveryMs, standby: adopt } satisfies ActorReadyEvent);
    this.scheduleStandby(record);
  }

  /**
   * Reopens one partition on a restarted actor. If its recovery fails (a corrupt log, a full
   * disk), that partition alone is marked FAILED — producers get PARTITION_FAILED — and the
   * actor goes on serving its other partitions. A dying worker propagates as ACTOR_UNAVAILABLE.
   */
  private async reopenPartition(record: ActorRecord, spec: PartitionSpec, epoch: number):
    Promise<void> {
    const reopen = record.recovered.has(spec.slot);
    try {
      const recovered = await this.callRaw(record, { kind: 'open-partition', spec, reopen });
      record.recovered.add(spec.slot);
      this.emit('partition-recovered', { ...recovered, actorIndex: record.index, epoch });
    } catch (error) {
      if (MambaError.is(error, 'ACTOR_UNAVAILABLE')) throw error;
      record.recovered.delete(spec.slot);
      this.controlBlock.setPartitionState(spec.slot, PartitionState.FAILED);
      this.emit('partition-failed', {
        actorIndex: record.index, topic: spec.topic, partition: spec.partition,
        error: error instanceof Error ? error : new Error(String(error)),
      } satisfies PartitionFailedEvent);
    }
  }

  private onExit(record: ActorRecord, worker: Worker, exitCode: number): void {
    if (record.worker !== worker) return;
    record.worker = undefined;
    record.remote = undefined;
    for (const resolve of record.exitWaiters.splice(0)) resolve();
    if (this.stopping || record.lifecycle === 'stopped') return;
    const atMs = Date.now();
    // The downtime and its phases are read off one clock from this instant, so they add up
    // however long the listeners below or a loaded machine take.
    const exitedAtMs = performance.now();
    const reason = record.terminateReason ?? `exit code ${exitCode}`;
    record.terminateReason = undefined;
    this.emit('actor-exit', { actorIndex: record.index, exitCode, reason, atMs } as ActorExitEvent);
    const cause = record.workerError ?? new Error(`actor worker exited with code ${exitCode}`);
    if (!record.everReady && ++record.startFailures >= bootstrapFailuresMax) {
      this.fail(record, `could not start (${record.startFailures} tries): ${cause.message}`,
        cause);
      return;
    }
    const decision = record.policy.crashed(atMs);
    if (!decision.restart) {
      this.fail(record, `restarted ${decision.restartsInWindow} times within a minute; ` +
        `last: ${reason}`, cause);
      return;
    }
    this.transition(record, 'restarting');
    this.restartLater(record, decision.delayMs, exitedAtMs, decision.restartsInWindow);
  }

  private restartLater(record: ActorRecord, delayMs: number, exitedAtMs: number,
    restartsInWindow: number): void {
    setTimeout(() => {
      if (this.stopping || record.lifecycle !== 'restarting') return;
      this.transition(record, 'starting');
      this.spawn(record);
      void this.untilReady(record).then(() => {
        // The marks of the worker that became ready: one that died starting is in `backoffMs`.
        const marks = record.marks;
        this.emit('actor-restart', {
          actorIndex: record.index, epoch: record.epoch, restartsInWindow,
          downtimeMs: Math.round((marks.readyAtMs - exitedAtMs) * 10) / 10,
          recoveryMs: Date.now() - record.lastSignOfLifeMs,
          phasesMs: phasesOf(marks, exitedAtMs), standby: marks.standby,
        } satisfies ActorRestartEvent);
      }, () => undefined);
    }, delayMs);
  }

  /**
   * Gives an actor up: its partitions are FAILED (producers get PARTITION_FAILED), each gets a
   * `partition-failed` event, waiters are released with the failure, and a fresh start is
   * scheduled after the cool-down, so one bad period does not need a process restart.
   */
  private fail(record: ActorRecord, reason: string, cause: Error): void {
    this.transition(record, 'failed');
    Atomics.store(this.controlBlock.i32,
      this.controlBlock.actorWord(record.index, ACTOR_STATE), ActorState.FAILED);
    const error = new MambaError('PARTITION_FAILED',
      `actor ${record.index} failed and was given up: ${reason}`,
      { cause, detail: { actorIndex: record.index } });
    record.failure = error;
    const retryAtMs = Date.now() + this.limits.actorRetryCooldownMs;
    record.retryTimer = setTimeout(() => this.revive(record), this.limits.actorRetryCooldownMs);
    record.retryTimer.unref();
    for (const [slot, spec] of record.partitions) {
      this.controlBlock.setPartitionState(slot, PartitionState.FAILED);
      this.emit('partition-failed', {
        actorIndex: record.index, topic: spec.topic, partition: spec.partition, error,
      } satisfies PartitionFailedEvent);
    }
    record.markReady();
    this.emit('actor-failed',
      { actorIndex: record.index, reason, error: cause, retryAtMs } satisfies ActorFailedEvent);
  }

  /** Starts a given-up actor afresh, with a new restart budget. */
  private revive(record: ActorRecord): void {
    clearTimeout(record.retryTimer);
    record.retryTimer = undefined;
    if (this.stopping || record.lifecycle !== 'failed') return;
    record.failure = undefined;
    record.startFailures = 0;
    record.everReady = false;
    record.policy = new RestartPolicy(this.limits.restart);
    this.transition(record, 'starting');
    this.resetReady(record);
    this.spawn(record);
  }

  private transition(record: ActorRecord, to: Lifecycle): void {
    assert(transitions[record.lifecycle].includes(to),
      `actor ${record.index}: ${record.lifecycle} → ${to}`);
    record.lifecycle = to;
    if (to === 'restarting') this.resetReady(record);
  }

  private async untilReady(record: ActorRecord): Promise<void> {
    for (;;) {
      const ready = record.ready;
      await ready;
      if (record.lifecycle === 'failed') {
        throw record.failure ?? new MambaError('PARTITION_FAILED',
          `actor ${record.index} failed and was given up`);
      }
      if (record.lifecycle === 'ready' || record.lifecycle === 'stopped') return;
      if (record.ready === ready) return;
    }
  }

  /** Sends a command once the actor is ready; retried across restarts. */
  private async call<K extends ActorCommand['kind']>(record: ActorRecord,
    command: ActorCommand & { kind: K }): Promise<ActorReplies[K]> {
    for (;;) {
      await this.untilReady(record);
      if (record.lifecycle === 'stopped') {
        throw new MambaError('BROKER_CLOSED', 'broker is closed');
      }
      try {
        return await this.callRaw<K>(record, command);
      } catch (error) {
        if (!MambaError.is(error, 'ACTOR_UNAVAILABLE')) throw error;
      }
    }
  }

  /** Sends a command to the current worker; fails with ACTOR_UNAVAILABLE if it exits first. */
  private async callRaw<K extends ActorCommand['kind']>(record: ActorRecord,
    command: ActorCommand & { kind: K }): Promise<ActorReplies[K]> {
    const remote = record.remote;
    if (remote === undefined) {
      throw new MambaError('ACTOR_UNAVAILABLE', `actor ${record.index} is not running`);
    }
    const reply = await Promise.race([remote.call(command as ActorCommand), record.exited]);
    if (!reply.ok) throw fromWire(reply.error);
    return reply.value as ActorReplies[K];
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    const i32 = this.controlBlock.i32;
    for (const record of this.actors) {
      if (record.worker === undefined) continue;
      if (record.lifecycle !== 'ready' && record.lifecycle !== 'starting') continue;
      const block = this.controlBlock;
      const heartbeat = Atomics.load(i32, block.actorWord(record.index, ACTOR_HEARTBEAT));
      const progress = Atomics.load(i32, block.actorWord(record.index, ACTOR_PROGRESS));
      if (heartbeat !== record.lastHeartbeat || progress !== record.lastProgress) {
        record.lastHeartbeat = heartbeat;
        record.lastProgress = progress;
        record.lastSignOfLifeMs = now;
        continue;
      }
      // A worker still loading its modules cannot beat yet: it gets the longer load deadline.
      const deadlineMs = record.loaded ? this.limits.heartbeatDeadlineMs
        : Math.max(this.limits.heartbeatDeadlineMs, actorLoadDeadlineMs);
      // A quiet actor parks for up to actorIdleParkMsMax between beats, which may be as long
      // as the shortest deadline: ask for a sign of life half-way. This rings only an actor
      // parked in its drain loop; a hung one (spinning, or blocked elsewhere) is not woken.
      if (now - record.lastSignOfLifeMs >= deadlineMs / 2) block.ringActor(record.index);
      if (now - record.lastSignOfLifeMs < deadlineMs) continue;
      record.terminateReason = `no heartbeat for ${now - record.lastSignOfLifeMs} ms`;
      void record.worker.terminate();
    }
  }
}

/** How often the watchdog looks at heartbeats: a tenth of the deadline, 100 to 500 ms. */
export function watchdogIntervalMs(heartbeatDeadlineMs: number): number {
  return Math.min(watchdogIntervalMsMax, Math.max(heartbeatIntervalMs, heartbeatDeadlineMs / 10));
}

function newMarks(standby: StartMarks['standby']): StartMarks {
  const nowMs = performance.now();
  return { spawnedAtMs: nowMs, answeredAtMs: nowMs, reopenedAtMs: nowMs, readyAtMs: nowMs,
    standby };
}

function phasesOf(marks: StartMarks, exitedAtMs: number): RestartPhases {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    backoffMs: round(marks.spawnedAtMs - exitedAtMs),
    startMs: round(marks.answeredAtMs - marks.spawnedAtMs),
    reopenMs: round(marks.reopenedAtMs - marks.answeredAtMs),
    attachMs: round(marks.readyAtMs - marks.reopenedAtMs),
  };
}
