/**
 * Forwarding a consumed record to another topic (a dead-letter or a retry topic) as one step
 * with the commit past it: writes the forward mark, appends at acks 'all', and lets the caller
 * commit. A retried step finds the record it already appended instead of appending it twice
 * (forward-mark.ts has the decision table).
 */
import { MambaError, unknownTopic } from '../errors.js';
import { readForwardMark, writeForwardMark } from './forward-mark.js';
import { scanPartition, type ScanContext } from './partition-scan.js';
import { FORWARD_SOURCE_HEADER } from './dead-letter.js';
import type { Message, Producer } from './producer.js';

/** What forwarding needs of the broker that the consumer's context does not give. */
export interface DeliveryServices {
  /** The producer (acks 'all', idempotent) for forwarded records and compensations. */
  producer(): Producer;
  /** Creates `topic` with `partitions` partitions unless it exists. */
  ensureTopic(topic: string, partitions: number): Promise<void>;
}

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: number;
}

/** The steps of a forward that a crash test kills between (test seam, not public API). */
export type ForwardStepPoint = 'marked' | 'appended';
let stepHook: ((point: ForwardStepPoint, source: SourceRecord) => void) | undefined;

/** @internal Crash tests: called at each point of every forward in this thread. */
export function setForwardStepHook(
  hook: ((point: ForwardStepPoint, source: SourceRecord) => void) | undefined,
): void {
  stepHook = hook;
}

export class RecordForwarder {
  constructor(private readonly services: DeliveryServices, private readonly scan: ScanContext,
    private readonly groupId: string) {}

  /**
   * Appends `message` to `target` as the forward of `source`, unless a step for the same
   * source that crashed before its commit already did. `beforeAppend` runs only when the append
   * is to be made (the dead-letter hook). Resolves once the record is durable in the target.
   */
  async forward(source: SourceRecord, target: string, message: Message,
    beforeAppend?: () => Promise<void>): Promise<'appended' | 'found'> {
    const sourceLocation = this.scan.directory.lookup(source.topic);
    if (sourceLocation === undefined) throw unknownTopic(source.topic);
    await this.services.ensureTopic(target, sourceLocation.partitionCount);
    const targetLocation = this.scan.directory.lookup(target);
    if (targetLocation === undefined) throw unknownTopic(target);
    const targetPartition = source.partition % targetLocation.partitionCount;
    const sourceId = JSON.stringify([this.groupId, source.topic, source.partition,
      source.offset]);
    const { dataDir } = this.scan;
    const mark = readForwardMark(dataDir, this.groupId, source.topic, source.partition);
    if (mark !== undefined && mark.sourceOffset === source.offset && mark.target === target &&
      mark.targetPartition === targetPartition &&
      this.holds(target, targetPartition, mark.fromOffset, sourceId)) {
      return 'found';
    }
    writeForwardMark(dataDir, {
      groupId: this.groupId, topic: source.topic, partition: source.partition,
      sourceOffset: source.offset, target, targetPartition,
      fromOffset: this.scan.controlBlock.highWatermark(targetLocation.firstSlot +
        targetPartition),
    });
    stepHook?.('marked', source);
    await beforeAppend?.();
    const headers = { ...message.headers, [FORWARD_SOURCE_HEADER]: sourceId };
    await this.services.producer().send(target, { ...message, headers,
      partition: targetPartition });
    stepHook?.('appended', source);
    return 'appended';
  }

  /** Whether the target partition got a record forwarded from `sourceId` since `fromOffset`. */
  private holds(target: string, partition: number, fromOffset: number, sourceId: string):
  boolean {
    let found = false;
    try {
      scanPartition(this.scan, target, partition, fromOffset, (message) => {
        found = message.headers[FORWARD_SOURCE_HEADER]?.toString('utf8') === sourceId;
        return found;
      });
    } catch (error) {
      // Retention cannot have removed a record appended since the last commit unless it
      // removed the whole partition tail; anything else is a real failure of the step.
      if (!MambaError.is(error, 'OFFSET_OUT_OF_RANGE')) throw error;
    }
    return found;
  }
}
