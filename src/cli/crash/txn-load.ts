/**
 * The crash test's transaction workload (`--transactions`), run on each broker process's main
 * thread (transactional producers live where the coordinator is): consume-transform-produce.
 *
 * - An input producer (acks 'all', idempotent) writes crash records (record-value.ts) to the
 *   input topic at a steady rate and reports every acknowledgement.
 * - `TXN_WORKERS` workers form one consumer group (read_committed, no auto-commit) over the
 *   input. For each input batch a worker opens a transaction, writes `OUTPUTS_PER_INPUT`
 *   derived records per input record, one to each output topic on different partitions (each
 *   names its input and its transaction: txn-value.ts), sends the batch's offsets with
 *   `tx.sendOffsets` and commits.
 * - A live consumer group (read_committed) reads the output topics and reports the offsets it
 *   was handed, so the checker can prove it never saw a record of an aborted transaction.
 *
 * A worker that fails anywhere in a transaction (a send refused while an actor restarts, a
 * commit that did not complete) does not retry the batch: its outcome may be unknown. It
 * makes a new producer with the same transactionalId, whose first `transaction()` bumps the
 * epoch at the coordinator, which finishes or aborts what the old one left; only then does it
 * give its partitions up and read the committed offsets again. A new broker process does the
 * same before its workers join: so no input batch is ever processed on stale offsets.
 *
 * The harness may SIGKILL the process at a step of a transaction (`killAt`): between the two
 * sends, between sendOffsets and commit, or inside the commit after the coordinator's Prepare
 * record is durable, after a marker is, or after the offsets are applied (the coordinator's
 * step hook, `setTransactionStepHook`).
 */
import type { Broker } from '../../broker.js';
import type { ConsumedBatch, Consumer, Producer } from '../../client/index.js';
import { setTransactionStepHook } from '../../transactions/index.js';
import type { ChildToParent } from './messages.js';
import { decodeIdentity, encodeValue, valueProblem } from './record-value.js';
import { encodeOutputValue } from './txn-value.js';

type Transaction = Awaited<ReturnType<Producer['transaction']>>;

/** Partitions of the input topic and of each output topic. */
export const TXN_PARTITIONS = 4;
export const OUTPUTS_PER_INPUT = 2;
export const TXN_WORKERS = 2;
/** Input records per partition per round, and the pause between rounds. */
const inputPerRound = 8;
const inputRoundMs = 20;
const inputValueBytes = 32;
/** Input producer ids: far above the regular producers' (1 + incarnation × producers …). */
export const TXN_INPUT_PRODUCER_BASE = 0x4000_0000;
const maxBatchRecords = 50;
const transactionTimeoutMs = 10_000;
const drainTimeoutMs = 60_000;
const pollMs = 20;
const reportIntervalMs = 100;
const retryDelayMs = 50;

/** Where a kill lands inside a transaction. */
export type TxnStepPoint =
  'between-sends' | 'offsets-sent' | 'prepared' | 'marker-written' | 'offsets-applied';
export const TXN_STEP_POINTS: readonly TxnStepPoint[] =
  ['between-sends', 'offsets-sent', 'prepared', 'marker-written', 'offsets-applied'];

export interface TxnTopics {
  input: string;
  outputs: string[];
}

export function txnTopics(topicPrefix: string): TxnTopics {
  return {
    input: `${topicPrefix}-txn-in`,
    outputs: Array.from({ length: OUTPUTS_PER_INPUT }, (_, i) => `${topicPrefix}-txn-out-${i}`),
  };
}

/** The output partition of output `index` of input sequence `sequence`. */
export function outputPartition(sequence: number, index: number): number {
  return (sequence + index) % TXN_PARTITIONS;
}

export interface TxnCounters {
  committed: number;
  failed: number;
  restarts: number;
}

export class TxnLoad {
  private stopping = false;
  private inputRunning: Promise<void> | undefined;
  private readonly workers: TxnWorker[] = [];
  private live: Consumer | undefined;
  private liveRun: Promise<void> | undefined;
  private seen: number[] = [];
  private reportTimer: NodeJS.Timeout | undefined;
  killPoint: TxnStepPoint | undefined;
  readonly counters: TxnCounters = { committed: 0, failed: 0, restarts: 0 };

  constructor(private readonly broker: Broker, readonly topics: TxnTopics,
    readonly groupId: string, readonly runId: number, readonly incarnation: number,
    private readonly send: (message: ChildToParent) => void) {}

  /** Creates the topics if they are missing. */
  async createTopics(segmentBytes: number): Promise<void> {
    const existing = new Set(this.broker.listTopics());
    for (const topic of [this.topics.input, ...this.topics.outputs]) {
      if (existing.has(topic)) continue;
      await this.broker.createTopic(topic, { partitions: TXN_PARTITIONS, segmentBytes });
    }
  }

  /**
   * Starts the workers (each resolves what its transactional id left open first), the live
   * reader of the outputs, then the input producer.
   */
  async start(): Promise<void> {
    for (let index = 0; index < TXN_WORKERS; index++) {
      this.workers.push(new TxnWorker(this.broker, this, index));
    }
    await Promise.all(this.workers.map((worker) => worker.settle()));
    await Promise.all(this.workers.map((worker) => worker.start()));
    await this.startLive();
    this.reportTimer = setInterval(() => this.report(), reportIntervalMs);
    this.inputRunning = this.produceInput();
  }

  /** SIGKILLs this process at `point` of the next transaction that reaches it. */
  killAt(point: TxnStepPoint): void {
    if (point === 'prepared' || point === 'marker-written' || point === 'offsets-applied') {
      setTransactionStepHook((reached) => {
        if (reached === point) process.kill(process.pid, 'SIGKILL');
      });
    } else {
      this.killPoint = point;
    }
  }

  reach(point: TxnStepPoint): void {
    if (this.killPoint === point) process.kill(process.pid, 'SIGKILL');
  }

  /**
   * Stops the input, waits until the workers committed every input offset and the live group
   * every output offset, closes them; false when they did not within the drain limit.
   */
  async stop(): Promise<boolean> {
    const startedMs = Date.now();
    this.stopping = true;
    await this.inputRunning;
    const inputDrained = await this.drain(this.workers[0].groupId, [this.topics.input]);
    await Promise.all(this.workers.map((worker) => worker.stop()));
    const outputsDrained = await this.drain(this.liveGroupId, this.topics.outputs);
    await this.live?.close();
    await this.liveRun;
    clearInterval(this.reportTimer);
    this.report();
    const drained = inputDrained && outputsDrained;
    this.send({ kind: 'txn-drained', drained, drainMs: Date.now() - startedMs });
    return drained;
  }

  get liveGroupId(): string {
    return `${this.groupId}-txn-live`;
  }

  private async drain(groupId: string, topics: readonly string[]): Promise<boolean> {
    const ends: Array<{ topic: string; partition: number; end: number }> = [];
    for (const topic of topics) {
      const description = await this.broker.describeTopic(topic);
      for (const p of description.partitions) {
        ends.push({ topic, partition: p.partition, end: p.highWatermark });
      }
    }
    const deadline = Date.now() + drainTimeoutMs;
    for (;;) {
      const done = ends.every(({ topic, partition, end }) =>
        (this.broker.committedOffset(groupId, topic, partition) ?? 0) >= end);
      if (done) return true;
      if (Date.now() > deadline) return false;
      await sleep(pollMs);
    }
  }

  private async startLive(): Promise<void> {
    const live = this.broker.consumer({
      groupId: this.liveGroupId, fromBeginning: true, isolation: 'read_committed',
      heartbeatIntervalMs: 50, sessionTimeoutMs: 5_000,
    });
    this.live = live;
    await live.subscribe(this.topics.outputs);
    this.liveRun = live.run({
      eachBatch: (batch) => {
        const outputIndex = this.topics.outputs.indexOf(batch.topic);
        const slot = outputIndex * TXN_PARTITIONS + batch.partition;
        for (const message of batch.messages) this.seen.push(slot, message.offset);
      },
    }).catch((error: unknown) => {
      this.send({ kind: 'fatal', message: `live transaction reader: ${String(error)}` });
    });
  }

  private report(): void {
    const seen = Float64Array.from(this.seen);
    this.seen = [];
    this.send({ kind: 'txn-report', seen, counters: { ...this.counters } });
  }

  /** Rounds of `inputPerRound` records to every input partition, each round acknowledged. */
  private async produceInput(): Promise<void> {
    const producer = this.broker.producer({ acks: 'all', idempotent: true });
    const producerId = TXN_INPUT_PRODUCER_BASE + this.incarnation;
    let sequence = 0;
    let failedCount = 0;
    while (!this.stopping) {
      const messages = [];
      const sequences: number[] = [];
      for (let partition = 0; partition < TXN_PARTITIONS; partition++) {
        for (let i = 0; i < inputPerRound; i++) {
          const identity = { producerId, sequence: sequence++, topicIndex: 0, partition };
          sequences.push(identity.sequence);
          messages.push({ partition, value: encodeValue(this.runId, identity, inputValueBytes) });
        }
      }
      try {
        const results = await producer.sendBatch(this.topics.input, messages);
        this.send({
          kind: 'txn-input-acks', producerId, sequences,
          partitions: results.map((r) => r.partition), offsets: results.map((r) => r.offset),
          sentCount: sequence, failedCount,
        });
      } catch {
        // Not acknowledged: each record may or may not be stored; the checker allows both.
        failedCount += messages.length;
      }
      await sleep(inputRoundMs);
    }
    await producer.close();
  }
}

/** One consume-transform-produce worker: a group member and a transactional producer. */
class TxnWorker {
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  /** The transaction opened by `settle`, used by the next batch. */
  private pending: Transaction | undefined;
  private running: Promise<void> | undefined;
  private txnNumber = 0;
  private stopping = false;

  constructor(private readonly broker: Broker, private readonly load: TxnLoad,
    private readonly index: number) {}

  get groupId(): string {
    return `${this.load.groupId}-txn`;
  }

  private get transactionalId(): string {
    return `${this.load.groupId}-txn-${this.index}`;
  }

  /**
   * A new producer for the transactional id, whose first transaction() fences the old one and
   * has the coordinator finish or abort what it left; retried until the coordinator answers.
   */
  async settle(): Promise<void> {
    for (;;) {
      await this.producer?.close().catch(() => undefined);
      this.producer = this.broker.producer({
        transactionalId: this.transactionalId, transactionTimeoutMs, lingerMs: 0,
      });
      try {
        this.pending = await this.producer.transaction();
        return;
      } catch {
        if (this.stopping) return;
        await sleep(retryDelayMs);
      }
    }
  }

  async start(): Promise<void> {
    let joined!: () => void;
    const subscribed = new Promise<void>((resolve) => { joined = resolve; });
    this.running = this.loop(joined);
    await subscribed;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.close();
    await this.running;
    await this.producer?.close().catch(() => undefined);
  }

  private async loop(joined: () => void): Promise<void> {
    while (!this.stopping) {
      const consumer = this.broker.consumer({
        groupId: this.groupId, fromBeginning: true, autoCommit: false,
        isolation: 'read_committed', maxBatchRecords, heartbeatIntervalMs: 50,
        sessionTimeoutMs: 5_000,
      });
      this.consumer = consumer;
      try {
        await consumer.subscribe(this.load.topics.input);
        joined();
        await consumer.run({ eachBatch: (batch) => this.process(batch, consumer), maxAttempts: 1 });
      } catch {
        if (this.stopping) break;
        // The batch's outcome may be unknown: settle the transactional id before the
        // partitions go back to the group (whose next reader reads the committed offsets).
        this.load.counters.restarts++;
        await this.settle();
      } finally {
        await consumer.close();
      }
    }
  }

  private async process(batch: ConsumedBatch, consumer: Consumer): Promise<void> {
    const tx = this.pending ?? await this.producer!.transaction();
    this.pending = undefined;
    try {
      await this.transform(tx, batch, consumer);
      this.load.counters.committed++;
    } catch (error) {
      this.load.counters.failed++;
      await tx.abort().catch(() => undefined);
      throw error;
    }
  }

  private async transform(tx: Transaction, batch: ConsumedBatch, consumer: Consumer):
    Promise<void> {
    const { load } = this;
    const txnNumber = this.txnNumber++;
    const inputs = batch.messages.filter((m) => valueProblem(m.value, load.runId) === undefined);
    const txnRecords = inputs.length * OUTPUTS_PER_INPUT;
    for (let outputIndex = 0; outputIndex < OUTPUTS_PER_INPUT; outputIndex++) {
      const messages = inputs.map((message) => {
        const input = decodeIdentity(message.value!);
        return {
          partition: outputPartition(input.sequence, outputIndex),
          value: encodeOutputValue(load.runId, {
            inputPartition: batch.partition, outputIndex, inputOffset: message.offset,
            inputProducerId: input.producerId, inputSequence: input.sequence,
            incarnation: load.incarnation, worker: this.index, txnNumber, txnRecords,
          }),
        };
      });
      if (messages.length > 0) await tx.sendBatch(load.topics.outputs[outputIndex], messages);
      if (outputIndex === 0) load.reach('between-sends');
    }
    await tx.sendOffsets({
      consumer,
      topics: [{ topic: batch.topic,
        partitions: [{ partition: batch.partition, offset: batch.nextOffset }] }],
    });
    load.reach('offsets-sent');
    await tx.commit();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
