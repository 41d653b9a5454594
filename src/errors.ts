/**
 * Every operating error Mamba reports, in one place.
 *
 * Three kinds of failure get three treatments (STYLE.md §8):
 * - programmer error → `assert` (src/assert.ts), which crashes the worker;
 * - operating error  → `MambaError` with a `code` and `retriable` (hot paths return sentinels);
 * - corruption       → `MambaError` with code `CORRUPT_LOG` carrying path, byte position, detail.
 *
 * Errors cross thread boundaries as plain objects (`toWire` / `fromWire`), because structured
 * clone drops the class and custom fields of an Error.
 */

/** Whether a caller may retry the same request and expect it to succeed later. */
const RETRIABLE = {
  UNKNOWN_TOPIC: false,
  TOPIC_EXISTS: false,
  INVALID_PARTITION: false,
  RECORD_TOO_LARGE: false,
  FRAME_TOO_LARGE: false,
  INVALID_CONFIG: false,
  INVALID_RECORD: false,
  CORRUPT_BATCH: false,
  BROKER_CLOSED: false,
  PRODUCER_CLOSED: false,
  CONSUMER_CLOSED: false,
  RING_CLOSED: false,
  TIMEOUT: true,
  DISK_FULL: true,
  CORRUPT_LOG: false,
  OFFSET_OUT_OF_RANGE: false,
  /** Commit metadata longer than `offsetMetadataBytesMax` (4096 bytes, Kafka's default). */
  OFFSET_METADATA_TOO_LARGE: false,
  /** An offset given to `seek` or `commit` that is not a non-negative safe integer. */
  INVALID_OFFSET: false,
  PARTITION_FAILED: false,
  DATA_DIR_LOCKED: false,
  /** The data directory's path is not a directory (a file, or under one). */
  INVALID_DATA_DIR: false,
  /** The data directory cannot be created or written: read-only, no permission, … */
  DATA_DIR_UNAVAILABLE: false,
  OUT_OF_ORDER_SEQUENCE: false,
  PRODUCER_FENCED: false,
  INVALID_HANDLER: false,
  ILLEGAL_STATE: false,
  ACTOR_UNAVAILABLE: true,
  IO_ERROR: true,
  // Consumer groups. A fenced member must rejoin (or learn the new generation) before it may
  // commit again, so retrying the same request unchanged does not help.
  ILLEGAL_GENERATION: false,
  UNKNOWN_MEMBER: false,
  PARTITION_NOT_OWNED: false,
  INCONSISTENT_GROUP_PROTOCOL: false,
  GROUP_MAX_SIZE_REACHED: false,
  /** A Kafka classic group is between generations: commit again once it has a new one. */
  REBALANCE_IN_PROGRESS: true,
  /** A consumer handler kept failing after its retries; nothing past the record is committed. */
  HANDLER_FAILED: false,
  /** A Kafka protocol frame that does not decode (truncated, wrong lengths, bad version). */
  INVALID_REQUEST: false,
  /** A data directory's users or ACL file that does not parse (security/users.json, acls.json). */
  INVALID_SECURITY_FILE: false,
  /** A backup whose manifest or one of its files fails its SHA-256 (or is missing): refused. */
  BACKUP_CORRUPT: false,
  /** An admin command named a consumer group that has no committed offsets. */
  GROUP_ID_NOT_FOUND: false,
  // Broker.connect(): a remote broker or Kafka cluster (src/remote/).
  /** No connection to a broker (refused, lost, TLS failed); the client retries with backoff. */
  CONNECTION_FAILED: true,
  /** The partition's leader moved or is not available yet; the client refreshes metadata. */
  NOT_LEADER: true,
  /** SASL authentication failed: wrong credentials, or a mechanism the broker has not enabled. */
  AUTHENTICATION_FAILED: false,
  /** The authenticated principal may not do this (a topic, group or cluster ACL). */
  AUTHORIZATION_FAILED: false,
  /** A Kafka error code with no Mamba counterpart; `detail.kafkaCode` and `kafkaName` say it. */
  KAFKA_ERROR: false,
  // Transactions (src/transactions/, client/transaction.ts); the names are Kafka's.
  /** The producer's epoch is older than the coordinator's because its transaction timed out. */
  INVALID_PRODUCER_EPOCH: false,
  /** The call does not fit the transaction's state (a second open transaction, no open one). */
  INVALID_TXN_STATE: false,
  /** The transaction is completing (markers being written); retry once it has. */
  CONCURRENT_TRANSACTIONS: true,
  /** The producer id is not the one the coordinator holds for the transactional id. */
  INVALID_PRODUCER_ID_MAPPING: false,
  INVALID_TRANSACTION_TIMEOUT: false,
  TRANSACTIONAL_ID_NOT_FOUND: false,
  /** A transaction named a topic or partition that does not exist. */
  UNKNOWN_TOPIC_OR_PARTITION: false,
  /** The transaction coordinator is still loading its log; retry shortly. */
  COORDINATOR_LOAD_IN_PROGRESS: true,
} as const;

export type MambaErrorCode = keyof typeof RETRIABLE;

export const ERROR_CODES = Object.keys(RETRIABLE) as MambaErrorCode[];

/** Where on disk a corruption was found, for `CORRUPT_LOG` and `CORRUPT_BATCH`. */
export interface CorruptionDetail {
  path: string;
  bytePosition: number;
  /** For a corrupt range followed by valid batches: where the valid data resumes. */
  bytePositionEnd?: number;
  reason: string;
}

export interface MambaErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  corruption?: CorruptionDetail;
  /** Structured facts for programs: the option name, the value, the topic, … */
  detail?: Record<string, unknown>;
}

export class MambaError extends Error {
  override readonly name = 'MambaError';
  readonly code: MambaErrorCode;
  readonly retriable: boolean;
  readonly corruption: CorruptionDetail | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: MambaErrorCode, message: string, options: MambaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE[code];
    this.corruption = options.corruption;
    this.detail = options.detail;
  }

  static is(error: unknown, code?: MambaErrorCode): error is MambaError {
    return error instanceof MambaError && (code === undefined || error.code === code);
  }
}

/** The plain-object form of an error that crosses a thread boundary. */
export interface WireError {
  code: MambaErrorCode | 'INTERNAL';
  message: string;
  retriable: boolean;
  corruption?: CorruptionDetail;
  detail?: Record<string, unknown>;
  stack?: string;
}

export function toWire(error: unknown): WireError {
  if (error instanceof MambaError) {
    return {
      code: error.code, message: error.message, retriable: error.retriable,
      corruption: error.corruption, detail: error.detail, stack: error.stack,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { code: 'INTERNAL', message: `${e.name}: ${e.message}`, retriable: false, stack: e.stack };
}

export function fromWire(wire: WireError): Error {
  if (wire.code === 'INTERNAL') {
    const error = new Error(wire.message);
    if (wire.stack !== undefined) error.stack = wire.stack;
    return error;
  }
  return new MambaError(wire.code, wire.message, {
    retriable: wire.retriable, corruption: wire.corruption, detail: wire.detail,
  });
}

// Constructors for the errors raised in more than one place, so their messages stay uniform.

export function invalidConfig(option: string, value: unknown, expected: string): MambaError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new MambaError('INVALID_CONFIG', `${option} must be ${expected} (got ${shown})`, {
    detail: { option, value },
  });
}

export function unknownTopic(topic: string): MambaError {
  return new MambaError('UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(topic)}`, {
    detail: { topic },
  });
}

export function corruptLog(detail: CorruptionDetail): MambaError {
  const range = detail.bytePositionEnd === undefined ? '' : `..${detail.bytePositionEnd}`;
  return new MambaError(
    'CORRUPT_LOG',
    `corrupt log ${detail.path} at byte ${detail.bytePosition}${range}: ${detail.reason}`,
    { corruption: detail },
  );
}

/**
 * A consumer's read met a bad batch below the high-watermark: the record at `offset` of
 * `topic`/`partition` cannot be handed out. `detail` carries topic, partition and offset for
 * programs; `corruption` the file and byte position.
 */
export function corruptRead(
  topic: string, partition: number, offset: number, corruption: CorruptionDetail,
  cause?: unknown,
): MambaError {
  return new MambaError('CORRUPT_LOG',
    `corrupt log of ${topic}/${partition} at offset ${offset}: ${corruption.path} byte ` +
    `${corruption.bytePosition}: ${corruption.reason}`,
    { corruption, detail: { topic, partition, offset }, cause });
}

type ClosedCode = 'BROKER_CLOSED' | 'PRODUCER_CLOSED' | 'CONSUMER_CLOSED' | 'RING_CLOSED';

export function closed(code: ClosedCode, what: string): MambaError {
  return new MambaError(code, `${what} is closed`);
}

export function offsetOutOfRange(
  offset: number, logStartOffset: number, logEndOffset: number, path: string,
): MambaError {
  return new MambaError('OFFSET_OUT_OF_RANGE',
    `offset ${offset} is outside ${logStartOffset}..${logEndOffset} of ${path}`,
    { detail: { offset, logStartOffset, logEndOffset, path } });
}

/** An operating-system I/O error as a MambaError: ENOSPC becomes DISK_FULL. */
export function fromIoError(error: unknown, what: string): MambaError {
  if (error instanceof MambaError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new MambaError('DISK_FULL', `no space left on device while ${what}`, { cause: error });
  }
  return new MambaError('IO_ERROR', `${what} failed: ${message}`, { cause: error });
}

/**
 * A consumer's handler that kept failing on one record: `HANDLER_FAILED` with the handler's own
 * error as `cause` (embedded consumers, handler pools and `Broker.connect()` consumers alike).
 */
export function handlerFailed(topic: string, partition: number, offset: number,
  attempts: number, cause: unknown): MambaError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new MambaError('HANDLER_FAILED',
    `handler failed on ${topic}/${partition} at offset ${offset} after ${attempts} ` +
    `attempt${attempts === 1 ? '' : 's'}: ${message}`,
    { cause, detail: { topic, partition, offset, attempts } });
}
