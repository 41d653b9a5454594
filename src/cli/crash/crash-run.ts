/**
 * One crash-test run: a calm phase (the workload, no kills) to measure the baseline throughput,
 * then the chaos phase (the same workload while the schedule kills actors and broker
 * processes), then the checker over everything stored. Both phases run on one data directory,
 * so the records of the calm phase are checked too.
 *
 * A live consumer group reads the topics in every broker process while the producers write
 * and the chaos kills; each process drains it to the final high-watermarks before it closes.
 * What the members report consumed is checked against the acknowledgements as well
 * (consumption-ledger.ts): every acknowledged record consumed at least once, in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalidConfig } from '../../errors.js';
import type { ActorRestartEvent, RestartPhases } from '../../supervisor/index.js';
import { AckLedger } from './ack-ledger.js';
import { BrokerProcess, type BrokerProcessHandlers } from './broker-process.js';
import { ChaosSchedule, type ChaosStep } from './chaos-schedule.js';
import { checkRecords, type CheckResult } from './checker.js';
import { ConsumerGroupSource } from './consumer-group-source.js';
import { ConsumptionLedger, type ConsumptionCheck } from './consumption-ledger.js';
import { LogFileSource } from './log-file-source.js';
import type {
  ChildConfig, ConsumedReport, ConsumerStopReport, RestartReport,
} from './messages.js';
import {
  KILL_MODES, isActorKillMode, resolveCrashTestOptions, slotCount, type CrashTestConfig,
  type CrashTestOptions, type KillMode,
} from './options.js';
import { Prng } from './prng.js';
import { quantiles, type Quantiles } from './quantiles.js';
import type { RecordSource, WorkloadLayout } from './record-source.js';
import { damageUnflushedTail, type TailDamage } from './torn-tail.js';
import { checkDelayed, type DelayedCheck } from './delayed-check.js';
import { checkDeadLetters, type DeadLetterCheck } from './dead-letter-check.js';
import { SequenceTable } from './sequence-table.js';
import { checkTransactions, type TxnCheck } from './txn-check.js';
import {
  TXN_STEP_POINTS, txnTopics, type TxnCounters, type TxnTopics,
} from './txn-load.js';

export type CrashTestPhase = 'calm' | 'chaos' | 'check';

export interface CrashTestProgress {
  phase: CrashTestPhase;
  /** Time into the current phase. */
  elapsedMs: number;
  phaseMs: number;
  kills: number;
  restarts: number;
  /** Acknowledged records per second over the last progress interval. */
  messagesPerSec: number;
  /** Records sent whose acknowledgement has not reached the harness. */
  lag: number;
  /** Records the live consumers reported per second over the last progress interval. */
  consumedPerSec: number;
}

export interface CrashTestHooks {
  onProgress?: (progress: CrashTestProgress) => void;
  /**
   * How stored records are read back. Default: by `config.verifyWith`, a fresh consumer group
   * (`ConsumerGroupSource`) or the final logs (`LogFileSource`).
   */
  source?: RecordSource;
  /**
   * Sees every report of the live consumers before it is recorded and returns what is recorded
   * instead: a test drops or adds deliveries with it to see the checker catch them.
   */
  tamperConsumed?: (report: ConsumedReport) => ConsumedReport;
}

export interface RestartRecord {
  kind: 'actor' | 'process';
  /** For process restarts, the kill that caused it; actor restarts carry their actor index. */
  mode?: KillMode;
  actorIndex: number;
  downtimeMs: number;
  recoveryMs: number;
  /** Actor restarts: where the downtime went, and the standby found (ActorRestartEvent). */
  phasesMs?: RestartPhases;
  standby?: ActorRestartEvent['standby'];
}

export interface CrashTestResult {
  config: CrashTestConfig;
  runId: number;
  dataDir: string;
  /** Whether the data directory was left on disk (given by the caller, or kept on failure). */
  dataDirKept: boolean;
  kills: Record<KillMode, number>;
  /** Scheduled actor kills that found no actor up within its restart budget. */
  skippedKills: number;
  restarts: {
    actor: number;
    process: number;
    recoveryMs: Quantiles;
    downtimeMs: Quantiles;
    /** The same, per kill mode (actor restarts without a kill of the harness: `other`). */
    byMode: Record<string, { recoveryMs: Quantiles; downtimeMs: Quantiles }>;
    /** Actor restarts' downtime by phase (RestartPhases), and the standbys they found. */
    phasesMs: Record<keyof RestartPhases, Quantiles>;
    standby: Record<ActorRestartEvent['standby'], number>;
    list: RestartRecord[];
  };
  throughput: {
    calmMs: number;
    chaosMs: number;
    calmMessagesPerSec: number;
    chaosMessagesPerSec: number;
    /** chaos ÷ calm; null without a calm phase. */
    ratio: number | null;
  };
  records: { sent: number; acknowledged: number; failed: number; errors: Record<string, number> };
  damage: { powerCuts: number; segmentsDamaged: number; bytesDamaged: number; list: TailDamage[] };
  check: CheckResult;
  /** The live consumer group: its check, and how it drained when the last process stopped. */
  consumers: LiveConsumersResult;
  /** What the harness saw go wrong outside the checker: processes dying, actors given up. */
  failures: string[];
  /** `--delayed`: the delayed messages' check; undefined without it. */
  delayed: DelayedCheck | undefined;
  /** `--dead-letters`: the dead letters' check; undefined without it. */
  deadLetters: DeadLetterResult | undefined;
  /** `--transactions`: the transaction workload's check; undefined without it. */
  transactions: TransactionsResult | undefined;
  violationCount: number;
}

export interface TransactionsResult extends TxnCheck {
  /** The workers' transactions over the run, as they counted them (all processes). */
  counters: TxnCounters;
  /** Broker process kills made inside a transaction, per step. */
  stepKills: Record<string, number>;
  /** How long the workers and the live reader took, at the last clean stop, to drain. */
  drainMs: number;
}

export interface DeadLetterResult extends DeadLetterCheck {
  /** Runs of the dead-letter group that rejected and were started again (allowed). */
  restarts: number;
  /** Broker process kills made inside a dead-letter step (after its mark or its append). */
  stepKills: number;
  /** How long the group took, at the last clean stop, to reach the high-watermarks. */
  drainMs: number;
}

export interface LiveConsumersResult extends ConsumptionCheck {
  /** Records behind the high-watermarks when the producers of the last process had stopped. */
  lagAtStop: number;
  /** Behind after the drain (0 when the group caught up). */
  lagAtEnd: number;
  drainMs: number;
  drained: boolean;
}

const progressIntervalMs = 250;
/** How long a kill aimed at a dead-letter step waits for one before it kills anyway. */
const deadLetterStepWaitMs = 2_000;
/** The same for a kill aimed at a step of a transaction. */
const txnStepWaitMs = 5_000;
/** The share of `--transactions` process kills aimed inside a transaction (the rest: any time). */
const txnStepKillShare = 0.8;

/** Runs the crash test; resolves with the result (see `violationCount`), rejects on bad options. */
export async function runCrashTest(options: CrashTestOptions = {},
  hooks: CrashTestHooks = {}): Promise<CrashTestResult> {
  const config = resolveCrashTestOptions(options);
  const run = new CrashRun(config, prepareDataDir(config.dataDir), hooks);
  return run.execute();
}

function prepareDataDir(dataDir: string | undefined): string {
  if (dataDir === undefined) return fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-crash-'));
  fs.mkdirSync(dataDir, { recursive: true });
  if (fs.readdirSync(dataDir).length > 0) {
    throw invalidConfig('options.dataDir', dataDir, 'a new or empty directory');
  }
  return dataDir;
}

class CrashRun {
  private readonly runId: number;
  private readonly topicNames: string[];
  private readonly ledger: AckLedger;
  private readonly consumption: ConsumptionLedger;
  private readonly groupId: string;
  private lastDrain: ConsumerStopReport | undefined;
  private readonly kills = Object.fromEntries(KILL_MODES.map((m) => [m, 0])) as
    Record<KillMode, number>;
  private skippedKills = 0;
  private readonly restarts: RestartRecord[] = [];
  private readonly failures: string[] = [];
  private readonly damages: TailDamage[] = [];
  private powerCuts = 0;
  private incarnation = -1;
  private phase: CrashTestPhase = 'calm';
  private phaseStartMs = performance.now();
  private phaseMs = 0;
  private highWatermarks: number[] = [];
  private readonly delayedTopic: string | undefined;
  /** Acknowledged delayed messages: id → due time. */
  private readonly delayedAcks = new Map<number, number>();
  private deadLetterRestarts = 0;
  /** Process kills that landed inside a dead-letter step. */
  private stepKills = 0;
  private deadLetterDrainMs = 0;
  private readonly txnTopics: TxnTopics | undefined;
  private readonly txnInputAcks = new Map<number, SequenceTable>();
  private readonly txnLiveSeen: Float64Array[] = [];
  /** The workers' counters: those of earlier processes plus the latest of the current one. */
  private readonly txnCountersDone: TxnCounters = { committed: 0, failed: 0, restarts: 0 };
  private txnCountersNow: TxnCounters = { committed: 0, failed: 0, restarts: 0 };
  private readonly txnStepKills: Record<string, number> = {};
  private txnDrainMs = 0;

  constructor(private readonly config: CrashTestConfig, private readonly dataDir: string,
    private readonly hooks: CrashTestHooks) {
    this.runId = new Prng(config.seed ^ 0x6d61_6d62).nextUint32();
    const hex = this.runId.toString(16).padStart(8, '0');
    this.topicNames = Array.from({ length: config.topics }, (_, i) => `crash-${hex}-${i}`);
    this.ledger = new AckLedger(slotCount(config), config.acks);
    this.groupId = `crash-live-${hex}`;
    this.delayedTopic = config.delayed ? `crash-${hex}-delayed` : undefined;
    this.txnTopics = config.transactions ? txnTopics(`crash-${hex}`) : undefined;
    this.consumption = new ConsumptionLedger(this.ledger, (slot) =>
      `${this.topicNames[Math.floor(slot / config.partitions)]}-${slot % config.partitions}`);
  }

  async execute(): Promise<CrashTestResult> {
    const progress = this.startProgress();
    let calm = { ackedCount: 0, elapsedMs: 0 };
    let chaos: { ackedCount: number; elapsedMs: number };
    try {
      if (this.config.calmMs > 0) calm = await this.runPhase('calm', this.config.calmMs);
      const schedule = new ChaosSchedule(this.config.seed, this.config.killEveryMs,
        this.config.modes);
      chaos = await this.runPhase('chaos', this.config.durationMs, schedule);
      this.enterPhase('check', 0);
    } finally {
      progress.stop();
    }
    const source = this.hooks.source ??
      (this.config.verifyWith === 'log' ? new LogFileSource() : new ConsumerGroupSource());
    const check = await checkRecords(this.ledger, source, this.layout(), this.runId);
    if (source instanceof ConsumerGroupSource && source.stalled) {
      this.failures.push('the verifying consumer group stopped short of the high-watermarks');
    }
    const delayed = this.delayedTopic === undefined ? undefined
      : await checkDelayed(this.dataDir, this.delayedTopic, this.runId, this.delayedAcks);
    const deadLetters = !this.config.deadLetters ? undefined : {
      ...await checkDeadLetters(this.dataDir, this.ledger, this.layout(), this.runId),
      restarts: this.deadLetterRestarts, stepKills: this.stepKills,
      drainMs: this.deadLetterDrainMs,
    };
    this.foldTxnCounters();
    const transactions = this.txnTopics === undefined ? undefined : {
      ...await checkTransactions(this.dataDir, this.txnTopics, this.runId, {
        inputAcks: this.txnInputAcks, liveSeen: this.txnLiveSeen,
        counters: this.txnCountersDone,
      }),
      counters: this.txnCountersDone, stepKills: this.txnStepKills, drainMs: this.txnDrainMs,
    };
    return this.result(calm, chaos, check, delayed, deadLetters, transactions);
  }

  /** A broker process ended: its workers' last counters join the run's. */
  private foldTxnCounters(): void {
    const done = this.txnCountersDone;
    const now = this.txnCountersNow;
    done.committed += now.committed;
    done.failed += now.failed;
    done.restarts += now.restarts;
    this.txnCountersNow = { committed: 0, failed: 0, restarts: 0 };
  }

  private layout(): WorkloadLayout {
    return {
      dataDir: this.dataDir, topicNames: this.topicNames, partitions: this.config.partitions,
      consumers: this.config.consumers, highWatermarks: this.highWatermarks,
    };
  }

  private enterPhase(phase: CrashTestPhase, phaseMs: number): void {
    this.phase = phase;
    this.phaseMs = phaseMs;
    this.phaseStartMs = performance.now();
  }

  private async runPhase(phase: CrashTestPhase, durationMs: number, schedule?: ChaosSchedule):
    Promise<{ ackedCount: number; elapsedMs: number }> {
    let broker = await this.startBroker();
    this.enterPhase(phase, durationMs);
    const ackedAtStart = this.ledger.ackedCount;
    const endMs = this.phaseStartMs + durationMs;
    for (;;) {
      const step = schedule?.next();
      const remainingMs = endMs - performance.now();
      if (step === undefined || step.waitMs >= remainingMs) {
        await sleep(Math.max(0, remainingMs));
        break;
      }
      await sleep(step.waitMs);
      if (!broker.alive) broker = await this.startBroker();
      broker = await this.kill(broker, step);
    }
    const result = {
      ackedCount: this.ledger.ackedCount - ackedAtStart,
      elapsedMs: performance.now() - this.phaseStartMs,
    };
    const stopped = await broker.stop();
    this.highWatermarks = stopped?.highWatermarks ?? [];
    if (stopped !== undefined) this.noteDrain(stopped.consumers);
    return result;
  }

  private noteDrain(drain: ConsumerStopReport): void {
    this.lastDrain = drain;
    if (!drain.drained) {
      const lag = drain.lagAtClose.reduce((sum, n) => sum + n, 0);
      const behind = drain.lagAtClose.flatMap((n, slot) => n > 0 ? [`slot ${slot}: ${n}`] : []);
      const errors = drain.commitErrors.length === 0 ? 'none'
        : drain.commitErrors.join('; ');
      this.failures.push(`the live consumers did not catch up with the high-watermarks within ` +
        `${Math.round(drain.drainMs)} ms of the producers stopping (${lag} records behind: ` +
        `${behind.join(', ')}; last failed automatic commits: ${errors})`);
    }
  }

  private async kill(broker: BrokerProcess, step: ChaosStep): Promise<BrokerProcess> {
    const { mode } = step;
    if (isActorKillMode(mode)) {
      const actorIndex = await broker.crashActor(mode, step.pick);
      if (actorIndex < 0) this.skippedKills++;
      else this.kills[mode]++;
      return broker;
    }
    const killedAtMs = performance.now();
    if (mode === 'process' && this.config.transactions && step.pick < txnStepKillShare) {
      // Most of these kills land inside a transaction: between its sends, between its
      // sendOffsets and its commit, or inside the commit (after Prepare, after a marker).
      const point = TXN_STEP_POINTS[
        Math.floor((step.pick / txnStepKillShare) * TXN_STEP_POINTS.length)];
      if (await broker.killInTxnStep(point, txnStepWaitMs)) {
        this.txnStepKills[point] = (this.txnStepKills[point] ?? 0) + 1;
      }
    } else if (mode === 'process' && this.config.deadLetters) {
      // Half of these kills land inside a dead-letter step: after its mark, or after its append.
      const point = step.pick < 0.25 ? 'marked' : step.pick < 0.5 ? 'appended' : undefined;
      if (point === undefined) await broker.kill();
      else if (await broker.killInDeadLetterStep(point, deadLetterStepWaitMs)) this.stepKills++;
    } else {
      await broker.kill();
    }
    this.kills[mode]++;
    if (mode === 'torn') this.cutPower(step);
    const next = await this.startBroker();
    this.restarts.push({
      kind: 'process', mode, actorIndex: -1, downtimeMs: performance.now() - killedAtMs,
      recoveryMs: next.openMs,
    });
    return next;
  }

  /** The broker process is dead: lose what a power cut loses, in every partition. */
  private cutPower(step: ChaosStep): void {
    this.powerCuts++;
    this.ledger.powerCut(this.incarnation);
    for (let slot = 0; slot < this.ledger.slotCount; slot++) {
      const topic = this.topicNames[Math.floor(slot / this.config.partitions)];
      const dir = path.join(this.dataDir, `${topic}-${slot % this.config.partitions}`);
      const damage = damageUnflushedTail(dir, this.ledger.durableOffsets[slot], step.damage,
        (step.damageSeed + slot) >>> 0);
      if (damage !== undefined) this.damages.push(damage);
    }
  }

  private async startBroker(): Promise<BrokerProcess> {
    this.foldTxnCounters();
    this.incarnation++;
    const producerIdBase = 1 + this.incarnation * this.config.producers;
    this.ledger.registerProducers(producerIdBase, this.config.producers, this.incarnation);
    const childConfig: ChildConfig = {
      dataDir: this.dataDir, actors: this.config.actors, topicNames: this.topicNames,
      partitions: this.config.partitions, segmentBytes: this.config.segmentBytes,
      acks: this.config.acks, producers: this.config.producers, producerIdBase,
      runId: this.runId, valueBytes: this.config.valueBytes,
      recordsPerRound: this.config.recordsPerRound, consumers: this.config.consumers,
      consumerIdBase: this.incarnation * this.config.consumers, groupId: this.groupId,
      delayedTopic: this.delayedTopic, incarnation: this.incarnation,
      deadLetters: this.config.deadLetters, transactions: this.config.transactions,
      noStandby: this.config.noStandby,
    };
    const broker = await BrokerProcess.start(childConfig, this.handlers());
    broker.openHighWatermarks.forEach((highWatermark, slot) => this.consumption.addStaleCommit(
      this.incarnation, slot, highWatermark, broker.openCommittedOffsets[slot]));
    return broker;
  }

  private handlers(): BrokerProcessHandlers {
    return {
      acks: (report, durableOffsets) => {
        this.ledger.addReport(report);
        this.ledger.observeDurable(durableOffsets);
      },
      durable: (durableOffsets) => this.ledger.observeDurable(durableOffsets),
      consumed: (report) =>
        this.consumption.addReport(this.hooks.tamperConsumed?.(report) ?? report),
      restart: (report: RestartReport) => this.restarts.push({
        kind: 'actor', actorIndex: report.actorIndex, downtimeMs: report.downtimeMs,
        recoveryMs: report.recoveryMs, phasesMs: report.phasesMs, standby: report.standby,
        ...(report.mode === undefined ? {} : { mode: report.mode }),
      }),
      failure: (message) => this.failures.push(message),
      delayedAcks: (ids, dueMs) => ids.forEach((id, i) => this.delayedAcks.set(id, dueMs[i])),
      deadLetterRestart: () => this.deadLetterRestarts++,
      deadLetterDrained: (drainMs) => { this.deadLetterDrainMs = drainMs; },
      txnInputAcks: (message) => {
        let table = this.txnInputAcks.get(message.producerId);
        if (table === undefined) {
          this.txnInputAcks.set(message.producerId, table = new SequenceTable());
        }
        message.sequences.forEach((sequence, i) =>
          table.record(sequence, message.partitions[i], message.offsets[i]));
      },
      txnReport: (seen, counters) => {
        if (seen.length > 0) this.txnLiveSeen.push(seen);
        this.txnCountersNow = counters;
      },
      txnDrained: (drainMs) => { this.txnDrainMs = drainMs; },
    };
  }

  private startProgress(): { stop(): void } {
    const onProgress = this.hooks.onProgress;
    if (onProgress === undefined) return { stop: () => undefined };
    let lastAcked = this.ledger.ackedCount;
    let lastConsumed = this.consumption.consumed;
    let lastMs = performance.now();
    const timer = setInterval(() => {
      const nowMs = performance.now();
      const acked = this.ledger.ackedCount;
      const consumed = this.consumption.consumed;
      const intervalMs = Math.max(1, nowMs - lastMs);
      onProgress({
        phase: this.phase, elapsedMs: nowMs - this.phaseStartMs, phaseMs: this.phaseMs,
        kills: this.killCount(), restarts: this.restarts.length,
        messagesPerSec: ((acked - lastAcked) * 1000) / intervalMs,
        lag: this.ledger.lag(this.incarnation),
        consumedPerSec: ((consumed - lastConsumed) * 1000) / intervalMs,
      });
      lastAcked = acked;
      lastConsumed = consumed;
      lastMs = nowMs;
    }, progressIntervalMs);
    return { stop: () => clearInterval(timer) };
  }

  private killCount(): number {
    return Object.values(this.kills).reduce((sum, n) => sum + n, 0);
  }

  private result(calm: { ackedCount: number; elapsedMs: number },
    chaos: { ackedCount: number; elapsedMs: number }, check: CheckResult,
    delayed: DelayedCheck | undefined, deadLetters: DeadLetterResult | undefined,
    transactions: TransactionsResult | undefined): CrashTestResult {
    const calmRate = calm.elapsedMs > 0 ? (calm.ackedCount * 1000) / calm.elapsedMs : 0;
    const chaosRate = (chaos.ackedCount * 1000) / chaos.elapsedMs;
    if (this.ledger.duplicateAckCount > 0) {
      this.failures.push(`${this.ledger.duplicateAckCount} records acknowledged twice`);
    }
    const consumers = this.consumersResult();
    const violationCount = check.violationCount + consumers.violationCount +
      this.failures.length + (delayed?.violationCount ?? 0) +
      (deadLetters?.violationCount ?? 0) + (transactions?.violationCount ?? 0);
    const dataDirKept = this.config.dataDir !== undefined || violationCount > 0;
    if (!dataDirKept) fs.rmSync(this.dataDir, { recursive: true, force: true });
    return {
      config: this.config, runId: this.runId, dataDir: this.dataDir, dataDirKept,
      kills: this.kills, skippedKills: this.skippedKills,
      restarts: {
        actor: this.restarts.filter((r) => r.kind === 'actor').length,
        process: this.restarts.filter((r) => r.kind === 'process').length,
        recoveryMs: quantiles(this.restarts.map((r) => r.recoveryMs)),
        downtimeMs: quantiles(this.restarts.map((r) => r.downtimeMs)),
        byMode: restartsByMode(this.restarts),
        ...restartPhases(this.restarts),
        list: this.restarts,
      },
      throughput: {
        calmMs: calm.elapsedMs, chaosMs: chaos.elapsedMs,
        calmMessagesPerSec: calmRate, chaosMessagesPerSec: chaosRate,
        ratio: calmRate > 0 ? chaosRate / calmRate : null,
      },
      records: {
        sent: this.ledger.sentCount, acknowledged: this.ledger.ackedCount,
        failed: this.ledger.failedCount, errors: this.ledger.errors,
      },
      damage: {
        powerCuts: this.powerCuts, segmentsDamaged: this.damages.length,
        bytesDamaged: this.damages.reduce((sum, d) => sum + d.bytePositionEnd - d.bytePosition, 0),
        list: this.damages,
      },
      check, consumers, failures: this.failures, delayed, deadLetters, transactions,
      violationCount,
    };
  }

  private consumersResult(): LiveConsumersResult {
    const sum = (values: readonly number[] | undefined) =>
      (values ?? []).reduce((total, n) => total + n, 0);
    const drain = this.lastDrain;
    return {
      ...this.consumption.check(),
      lagAtStop: sum(drain?.lagAtStop), lagAtEnd: sum(drain?.lagAtClose),
      drainMs: drain?.drainMs ?? 0, drained: drain?.drained ?? false,
    };
  }
}

function restartsByMode(restarts: readonly RestartRecord[]):
  Record<string, { recoveryMs: Quantiles; downtimeMs: Quantiles }> {
  const groups = new Map<string, RestartRecord[]>();
  for (const restart of restarts) {
    const mode = restart.mode ?? 'other';
    groups.set(mode, [...(groups.get(mode) ?? []), restart]);
  }
  return Object.fromEntries([...groups].map(([mode, list]) => [mode, {
    recoveryMs: quantiles(list.map((r) => r.recoveryMs)),
    downtimeMs: quantiles(list.map((r) => r.downtimeMs)),
  }]));
}

function restartPhases(restarts: readonly RestartRecord[]):
  Pick<CrashTestResult['restarts'], 'phasesMs' | 'standby'> {
  const actor = restarts.filter((r) => r.phasesMs !== undefined);
  const phase = (name: keyof RestartPhases) => quantiles(actor.map((r) => r.phasesMs![name]));
  const count = (standby: ActorRestartEvent['standby']) =>
    actor.filter((r) => r.standby === standby).length;
  return {
    phasesMs: {
      backoffMs: phase('backoffMs'), startMs: phase('startMs'), reopenMs: phase('reopenMs'),
      attachMs: phase('attachMs'),
    },
    standby: { loaded: count('loaded'), loading: count('loading'), none: count('none') },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
