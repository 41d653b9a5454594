/**
 * The reading side of the crash test, kept apart from the checker so that how records are read
 * can change without touching what is checked.
 *
 * A source hands every stored record of the workload's topic-partitions to a visitor, each
 * partition in offset order (partitions may interleave). Today the one source reads the final
 * logs of the closed data directory (log-file-source.ts). A consumer-group source (N members of
 * one group, `broker.consumer({ groupId })`, reading up to the final high-watermarks) fits the
 * same contract; it would also drop redeliveries of the same (slot, offset) that a rebalance
 * may cause, since at-least-once delivery is not a duplicate in the log.
 */
export interface WorkloadLayout {
  dataDir: string;
  topicNames: readonly string[];
  partitions: number;
  /** Consumer-group members a group-based source should run. */
  consumers: number;
  /** The high-watermark of every slot when the broker was last closed cleanly. */
  highWatermarks: readonly number[];
}

/** `slot` is `topicIndex × partitions + partition`. `value` is valid during the call only. */
export type RecordVisitor = (slot: number, offset: number, value: Uint8Array | null) => void;

export interface RecordSource {
  /** A short name for reports (`log-files`, `consumer-group`). */
  readonly name: string;
  readAll(layout: WorkloadLayout, visit: RecordVisitor): Promise<void>;
}
