/**
 * Process entry (`child_process.fork`): one broker process of the crash test. It opens the
 * broker on the data directory (recovering whatever the previous process left, however it
 * died), creates the topics if they are not there yet, starts the members of the live consumer
 * group (consumer-members.ts) and then the producer worker threads, and forwards their reports
 * to the harness: acks, each with the partitions' durable offsets read after the acks arrived,
 * and consumed records. It kills actors when told to, and on `stop` drains the producers, lets
 * the consumers catch up with the final high-watermarks, and closes the broker cleanly. With
 * `--delayed`, `--dead-letters` and `--transactions` it also runs those workloads
 * (delayed-load.ts, dead-letter-load.ts, txn-load.ts) on its main thread, and for the last two
 * may be told to SIGKILL itself inside its next dead-letter step or transaction.
 *
 * The harness may SIGKILL this process at any moment: nothing here depends on running to the
 * end, and whatever it reported before it died is all the harness counts as acknowledged.
 */
import { Worker } from 'node:worker_threads';
import { Broker } from '../../broker.js';
import { restartsPerMinuteMax } from '../../constants.js';
import type { ActorFailedEvent, ActorRestartEvent } from '../../supervisor/index.js';
import { workerUrl } from '../../worker-url.js';
import { workerLaunchOptions } from '../../worker-exec-argv.js';
import { ConsumerMembers, committedOffset } from './consumer-members.js';
import { DelayedLoad } from './delayed-load.js';
import { DeadLetterLoad } from './dead-letter-load.js';
import { TxnLoad, txnTopics } from './txn-load.js';
import { setForwardStepHook, type ForwardStepPoint } from '../../client/index.js';
import type {
  AckReport, ChildConfig, ChildToParent, ChildToWorker, ParentToChild, ProducerWorkerData,
  WorkerToChild,
} from './messages.js';
import type { ActorKillMode } from './options.js';

const durableReportIntervalMs = 100;
/**
 * The heartbeat deadline of the crash test's broker: short, so that each `hang` kill costs a
 * couple of seconds of one actor, and long enough that a busy 2-core machine does not miss it.
 */
const hungActorDeadlineMs = 2_000;
/** Kills of one actor within a minute stay this far below the storm guard's limit. */
const restartBudgetMargin = 2;
const windowMs = 60_000;

/** `sent`: called once the message is handed to the IPC channel. */
function send(message: ChildToParent, sent?: () => void): void {
  if (sent === undefined) process.send?.(message);
  else process.send?.(message, () => sent());
}

class BrokerChild {
  private readonly workers: Worker[] = [];
  private readonly down = new Set<number>();
  private readonly killTimesMs = new Map<number, number[]>();
  private readonly readyRecoveryMs = new Map<string, number>();
  /** The mode of each actor's last kill, for its restart's report. */
  private readonly killModes = new Map<number, ActorKillMode>();
  private durableTimer: NodeJS.Timeout | undefined;
  readonly consumers: ConsumerMembers;
  private readonly delayed: DelayedLoad | undefined;
  readonly deadLetters: DeadLetterLoad | undefined;
  readonly txn: TxnLoad | undefined;

  constructor(private readonly broker: Broker, private readonly config: ChildConfig) {
    this.consumers = new ConsumerMembers(broker, config, send);
    if (config.delayedTopic !== undefined) {
      this.delayed = new DelayedLoad(broker, config.delayedTopic, config.runId,
        config.incarnation, config.acks, send);
    }
    if (config.deadLetters) {
      this.deadLetters = new DeadLetterLoad(broker, config.topicNames, config.partitions,
        config.groupId, config.runId, send);
    }
    if (config.transactions) {
      this.txn = new TxnLoad(broker, txnTopics(topicPrefix(config.runId)), config.groupId,
        config.runId, config.incarnation, send);
    }
    broker.on('actor-ready', (event: { actorIndex: number; epoch: number; recoveryMs: number }) =>
      this.readyRecoveryMs.set(`${event.actorIndex}:${event.epoch}`, event.recoveryMs));
    broker.on('actor-restart', (event: ActorRestartEvent) => {
      this.down.delete(event.actorIndex);
      const key = `${event.actorIndex}:${event.epoch}`;
      const recoveryMs = this.readyRecoveryMs.get(key) ?? event.downtimeMs;
      this.readyRecoveryMs.delete(key);
      const mode = this.killModes.get(event.actorIndex);
      this.killModes.delete(event.actorIndex);
      send({
        kind: 'restart', actorIndex: event.actorIndex, epoch: event.epoch,
        downtimeMs: event.downtimeMs, recoveryMs, phasesMs: event.phasesMs,
        standby: event.standby, ...(mode === undefined ? {} : { mode }),
      });
    });
    broker.on('actor-exit', (event: { actorIndex: number }) => this.down.add(event.actorIndex));
    broker.on('actor-failed', (event: ActorFailedEvent) =>
      send({ kind: 'actor-failed', actorIndex: event.actorIndex, reason: event.reason }));
  }

  /** Starts the producer workers; resolves once every one of them is running. */
  async startProducers(): Promise<void> {
    const url = workerUrl('./producer-worker.js', import.meta.url);
    for (let index = 0; index < this.config.producers; index++) {
      const workerData: ProducerWorkerData = {
        handle: this.broker.producerHandle({ acks: this.config.acks, idempotent: true }),
        producerId: this.config.producerIdBase + index,
        runId: this.config.runId,
        topicNames: this.config.topicNames,
        partitions: this.config.partitions,
        valueBytes: this.config.valueBytes,
        recordsPerRound: this.config.recordsPerRound,
      };
      const worker = new Worker(url, { workerData, ...workerLaunchOptions() });
      worker.on('message', (message: WorkerToChild) => {
        if (message.kind === 'acks') void this.forward(message);
      });
      worker.on('error', (error) => send({ kind: 'fatal', message: `producer: ${error}` }));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((worker) =>
      new Promise((resolve) => worker.once('online', resolve))));
    this.delayed?.start();
    this.durableTimer = setInterval(() => {
      void this.durableOffsets()
        .then((durableOffsets) => send({ kind: 'durable', durableOffsets }));
    }, durableReportIntervalMs);
  }

  async crash(mode: ActorKillMode, pick: number): Promise<void> {
    const nowMs = Date.now();
    const eligible: number[] = [];
    for (let index = 0; index < this.broker.actorCount; index++) {
      const recent = (this.killTimesMs.get(index) ?? []).filter((t) => nowMs - t < windowMs);
      this.killTimesMs.set(index, recent);
      if (this.down.has(index)) continue;
      if (recent.length >= restartsPerMinuteMax - restartBudgetMargin) continue;
      eligible.push(index);
    }
    if (eligible.length === 0) {
      send({ kind: 'crashed', actorIndex: -1, mode, skipReason: 'no actor up within budget' });
      return;
    }
    const actorIndex = eligible[Math.floor(pick * eligible.length)];
    this.down.add(actorIndex);
    this.killTimesMs.get(actorIndex)!.push(nowMs);
    this.killModes.set(actorIndex, mode);
    try {
      await this.broker.crashActor(actorIndex, mode);
    } catch (error) {
      // Not a durability fault, but the harness must hear back either way.
      this.down.delete(actorIndex);
      send({ kind: 'crashed', actorIndex: -1, mode, skipReason: String(error) });
      return;
    }
    send({ kind: 'crashed', actorIndex, mode });
  }

  async stop(): Promise<void> {
    clearInterval(this.durableTimer);
    const done = this.workers.map((worker) => new Promise<void>((resolve) => {
      worker.on('message', (message: WorkerToChild) => {
        if (message.kind === 'done') resolve();
      });
      worker.once('exit', () => resolve());
    }));
    for (const worker of this.workers) worker.postMessage({ kind: 'stop' } satisfies ChildToWorker);
    await Promise.all(done);
    if (this.delayed !== undefined && !await this.delayed.stop()) {
      send({ kind: 'fatal', message: 'delayed messages still pending at stop' });
    }
    await this.broker.settled();
    const highWatermarks = await this.highWatermarks();
    const [consumers, deadLettersDrained, txnDrained] = await Promise.all([
      this.consumers.stop(highWatermarks), this.deadLetters?.stop(highWatermarks),
      this.txn?.stop()]);
    if (deadLettersDrained === false) {
      send({ kind: 'fatal', message: 'the dead-letter group did not reach the high-watermarks' });
    }
    if (txnDrained === false) {
      send({ kind: 'fatal', message: 'the transaction workers or their live reader did not ' +
        'reach the high-watermarks' });
    }
    await this.broker.close();
    send({ kind: 'stopped', highWatermarks, consumers }, () => process.exit(0));
  }

  async highWatermarks(): Promise<number[]> {
    return (await this.describe()).map((p) => p.highWatermark);
  }

  private async forward(report: AckReport): Promise<void> {
    send({ kind: 'acks', report, durableOffsets: await this.durableOffsets() });
  }

  private async durableOffsets(): Promise<number[]> {
    return (await this.describe()).map((p) => p.durableOffset);
  }

  private async describe() {
    const topics = await Promise.all(
      this.config.topicNames.map((topic) => this.broker.describeTopic(topic)));
    return topics.flatMap((topic) => topic.partitions);
  }
}

/** The workload topics' common prefix, as the harness names them (crash-run.ts). */
function topicPrefix(runId: number): string {
  return `crash-${runId.toString(16).padStart(8, '0')}`;
}

/** The process dies at `point` of the next dead-letter step: a crash inside the step. */
function killAt(point: ForwardStepPoint): void {
  setForwardStepHook((reached) => {
    if (reached === point) process.kill(process.pid, 'SIGKILL');
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]) as ChildConfig;
  const startedMs = performance.now();
  const broker = await Broker.open({
    dataDir: config.dataDir, actors: config.actors, heartbeatDeadlineMs: hungActorDeadlineMs,
    restart: { standby: !config.noStandby },
  });
  const existing = new Set(broker.listTopics());
  const delayedTopics = config.delayedTopic === undefined ? [] : [config.delayedTopic];
  for (const topic of [...config.topicNames, ...delayedTopics]) {
    if (existing.has(topic)) continue;
    await broker.createTopic(topic, {
      partitions: config.partitions, segmentBytes: config.segmentBytes,
    });
  }
  const child = new BrokerChild(broker, config);
  await child.txn?.createTopics(config.segmentBytes);
  const openMs = performance.now() - startedMs;
  const highWatermarks = await child.highWatermarks();
  const committedOffsets = highWatermarks.map((_, slot) =>
    committedOffset(broker, config, slot) ?? -1);
  process.on('message', (message: ParentToChild) => {
    if (message.kind === 'kill-in-dead-letter-step') {
      killAt(message.point);
      return;
    }
    if (message.kind === 'kill-in-txn-step') {
      child.txn?.killAt(message.point);
      return;
    }
    const work = message.kind === 'crash' ? child.crash(message.mode, message.pick) : child.stop();
    work.catch((error: unknown) => send({ kind: 'fatal', message: String(error) }));
  });
  // After a power cut the group's committed offsets may lie past the recovered log ends. A
  // member that looks before the producers write again resets to the log start (a redelivery);
  // one that looks after new records filled those offsets would pass over them. So then the
  // members join first; otherwise members and producers start side by side. The dead-letter
  // group (whose commits this does not read) always joins first.
  // The transaction workers settle their transactional ids (the coordinator finishes what the
  // last process left) and join before any input is written.
  const joined = Promise.all([child.consumers.start(), child.deadLetters?.start(),
    child.txn?.start()]);
  if (config.deadLetters || config.transactions ||
    committedOffsets.some((committed, slot) => committed > highWatermarks[slot])) await joined;
  await Promise.all([joined, child.startProducers()]);
  send({ kind: 'ready', openMs, highWatermarks, committedOffsets });
}

main().catch((error: unknown) => {
  send({ kind: 'fatal', message: `broker process: ${String(error)}` });
  process.exitCode = 1;
  process.disconnect?.();
});
