/**
 * The records of the transaction log (`__mamba_transaction_state`, a compacted topic): Kafka's
 * TransactionLog idea with Mamba's own encoding. Compaction keeps the latest record per key,
 * so each key's latest value is the whole state it stands for.
 *
 * ```
 * key   = kind (1 byte, ASCII) ‖ name (UTF-8)
 *         't' ‖ transactional id     one transaction's metadata (TransactionRecord)
 *         'p'                        the producer-id block (ProducerIdBlockRecord)
 *         'e'                        the coordinator epoch (CoordinatorEpochRecord)
 * value = version (1 byte, = 1) ‖ JSON (UTF-8)
 * ```
 *
 * JSON because these records are small (one per state change of a transaction, not per
 * message), rare next to the data path, and readable in `mamba dump`; the version byte lets a
 * later layout replace it. A value that does not decode is reported and skipped by the loader,
 * never trusted.
 */
import { isObject } from '../options.js';

export const LOG_VALUE_VERSION = 1;
const KIND_TRANSACTION = 't';
const KIND_PRODUCER_ID_BLOCK = 'p';
const KIND_COORDINATOR_EPOCH = 'e';

/** Kafka's transaction states (TransactionState.scala). */
export type TransactionStateName =
  | 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit'
  | 'CompleteAbort' | 'Dead';

export const TRANSACTION_STATES: readonly TransactionStateName[] = [
  'Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead',
];

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** An offset a transaction commits for a group when it commits (pending until then). */
export interface PendingOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** One transactional id's durable state: the value of its `'t'` key. */
export interface TransactionRecord {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The epoch before the coordinator's last own bump (a timeout abort), or -1 (KIP-360). */
  lastProducerEpoch: number;
  transactionTimeoutMs: number;
  state: TransactionStateName;
  /** The partitions of the open (or completing) transaction. */
  partitions: TopicPartitionRef[];
  /** Per group, the offsets the transaction commits (the latest per partition). */
  offsets: Record<string, PendingOffset[]>;
  /** When the open transaction started (its first partition or group), epoch ms; 0 if none. */
  startedAtMs: number;
  updatedAtMs: number;
}

export interface ProducerIdBlockRecord {
  /** Every producer id below this may have been handed out: allocation resumes here. */
  nextProducerIdBlock: number;
}

export interface CoordinatorEpochRecord {
  coordinatorEpoch: number;
}

export type LogEntry =
  | { kind: 'transaction'; record: TransactionRecord }
  | { kind: 'producer-id-block'; record: ProducerIdBlockRecord }
  | { kind: 'coordinator-epoch'; record: CoordinatorEpochRecord };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function transactionKey(transactionalId: string): Uint8Array {
  return encoder.encode(KIND_TRANSACTION + transactionalId);
}

export const PRODUCER_ID_BLOCK_KEY = encoder.encode(KIND_PRODUCER_ID_BLOCK);
export const COORDINATOR_EPOCH_KEY = encoder.encode(KIND_COORDINATOR_EPOCH);

export function encodeValue(record: object): Uint8Array {
  const json = encoder.encode(JSON.stringify(record));
  const bytes = new Uint8Array(1 + json.length);
  bytes[0] = LOG_VALUE_VERSION;
  bytes.set(json, 1);
  return bytes;
}

/** The key's state from one log record, or a reason it cannot be used. */
export function decodeEntry(key: Uint8Array | null, value: Uint8Array | null):
{ ok: true; entry: LogEntry } | { ok: false; reason: string } {
  if (key === null || key.length === 0) return { ok: false, reason: 'a record without a key' };
  if (value === null || value.length < 2) return { ok: false, reason: 'an empty value' };
  if (value[0] !== LOG_VALUE_VERSION) {
    return { ok: false, reason: `value version ${value[0]}, expected ${LOG_VALUE_VERSION}` };
  }
  let keyText: string;
  let parsed: unknown;
  try {
    keyText = decoder.decode(key);
    parsed = JSON.parse(decoder.decode(value.subarray(1)));
  } catch (error) {
    return { ok: false, reason: `undecodable: ${String(error)}` };
  }
  if (!isObject(parsed)) return { ok: false, reason: 'a value that is not an object' };
  const kind = keyText[0];
  if (kind === KIND_TRANSACTION) {
    const record = parsed as unknown as TransactionRecord;
    if (!isTransactionRecord(record) || record.transactionalId !== keyText.slice(1)) {
      return { ok: false, reason: 'a malformed transaction record' };
    }
    return { ok: true, entry: { kind: 'transaction', record } };
  }
  if (kind === KIND_PRODUCER_ID_BLOCK && Number.isSafeInteger(parsed.nextProducerIdBlock)) {
    return { ok: true, entry: { kind: 'producer-id-block',
      record: { nextProducerIdBlock: parsed.nextProducerIdBlock as number } } };
  }
  if (kind === KIND_COORDINATOR_EPOCH && Number.isSafeInteger(parsed.coordinatorEpoch)) {
    return { ok: true, entry: { kind: 'coordinator-epoch',
      record: { coordinatorEpoch: parsed.coordinatorEpoch as number } } };
  }
  return { ok: false, reason: `an unknown or malformed record of kind ${JSON.stringify(kind)}` };
}

function isTransactionRecord(record: TransactionRecord): boolean {
  return typeof record.transactionalId === 'string' &&
    Number.isSafeInteger(record.producerId) && Number.isInteger(record.producerEpoch) &&
    Number.isInteger(record.lastProducerEpoch) &&
    Number.isInteger(record.transactionTimeoutMs) &&
    TRANSACTION_STATES.includes(record.state) && Array.isArray(record.partitions) &&
    record.partitions.every((p) => typeof p?.topic === 'string' &&
      Number.isInteger(p.partition)) &&
    isObject(record.offsets) &&
    Object.values(record.offsets).every((list) => Array.isArray(list)) &&
    Number.isSafeInteger(record.startedAtMs) && Number.isSafeInteger(record.updatedAtMs);
}
