/**
 * The contract every system in the bench implements: Mamba, the in-process baselines and the
 * peer brokers over loopback. It is shaped so that an embedded broker (whose producer resolves
 * a promise when its actor has the batch) and a network client (whose producer resolves when
 * the server's replies arrive) both fit, and so that the unit handed over is always a batch:
 * a system may send its messages one by one inside `sendBatch` (as a Redis pipeline or a run
 * of JetStream publishes does), but the harness never calls it per message.
 *
 * Lifecycle, driven by the scenario runner, once per scenario:
 *   unsupportedReason? → setup → openProducer × producerCount → openConsumer × consumerCount
 *   → sendBatch … (pipelined up to scenario.inFlightBatchesMax per producer)
 *   → producer.close, consumer.close → teardown (always, also after a failure)
 */
import type { MessageBatch } from './message-batch.js';
import type { AcksLevel, Scenario } from './scenario.js';

export interface BenchSystem {
  /** Unique in a run; `mamba` is the numerator of every ratio when it is present. */
  readonly name: string;
  /** The Mamba acks level this configuration is held equal to. */
  readonly acks: AcksLevel;
  /** The exact durability settings in words, e.g. `appendonly yes, appendfsync always`. */
  readonly durability: string;
  /**
   * Why this system cannot run the scenario (not installed, not reachable, unsupported
   * parameters), or undefined when it can. Called before setup; must not throw.
   */
  unsupportedReason(scenario: Scenario): Promise<string | undefined>;
  /** Creates the topic, stream or queue the scenario writes to, empty. */
  setup(scenario: Scenario): Promise<void>;
  openProducer(producerIndex: number): Promise<BenchProducer>;
  /** Absent when the system has no consumer side; consumer scenarios then skip it. */
  openConsumer?(consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer>;
  /** Deletes what setup made and closes every connection; called even after a failure. */
  teardown(): Promise<void>;
}

export interface BenchProducer {
  /**
   * Hands over one batch and resolves when every message in it is acknowledged at the
   * system's durability level. The batch's bytes may be reused by the caller once the
   * promise settles, not before. Several calls may be in flight at once.
   */
  sendBatch(batch: MessageBatch): Promise<void>;
  close(): Promise<void>;
}

export interface BenchConsumer {
  /** Stops reading; resolves once no more sink calls will be made. */
  close(): Promise<void>;
}

/** Where consumers report what they read; the harness counts and measures latency. */
export interface ConsumeSink {
  /** Messages that arrived as separate values (each starts with its send stamp). */
  receivedValues(values: ArrayLike<Uint8Array>): void;
  /** Messages that arrived packed back to back, each `messageSizeBytes` long. */
  receivedPacked(packed: Uint8Array, messageSizeBytes: number): void;
}

/** Makes a system's instance for one acks level; undefined when it has no such level. */
export interface BenchSystemFactory {
  readonly name: string;
  create(acks: AcksLevel): BenchSystem | undefined;
}
