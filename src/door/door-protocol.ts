/**
 * The messages between a door's worker thread and the broker on the main thread. Data never
 * takes this path (produce goes through the session's rings, fetch reads the mappings): only
 * rare admin calls, the door's lifecycle, the topic facts that live in the manifest, and the
 * consumer-group requests, which the broker's group registry serves.
 */
import type { ClassicReplies, ClassicRequest } from '../coordinator/index.js';
import type { WireError } from '../errors.js';
import type { TopicConfig, TopicOptions } from '../options.js';
import type { ListenConfig, ListenerConfig, SecurityProtocol } from '../listen-options.js';
import type { SessionHandle } from '../shm/index.js';

export interface TopicInfo {
  name: string;
  /** The manifest's topic number (the topic directory's `topicId`). */
  id: number;
  /** The topic's UUID (Kafka topic ID), kept in the manifest. */
  uuid: string;
  partitions: number;
  config: TopicConfig;
}

/** The door's settings: `broker.listen()` options merged with the broker's door options. */
export type DoorConfig = ListenConfig;
export type { ListenerConfig, SecurityProtocol };

/** A listener once bound: its protocol and the address it listens on. */
export interface BoundListener {
  protocol: SecurityProtocol;
  host: string;
  port: number;
}

/** What the worker starts with (`workerData`: SharedArrayBuffers and plain values). */
export interface DoorWorkerData {
  config: DoorConfig;
  session: SessionHandle;
  dataDir: string;
}

/** A producer id and epoch, as the transaction coordinator hands them out. */
export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

/** The transactional producer a transaction call is made for. */
export interface TxnProducer extends ProducerIdentity {
  transactionalId: string;
}

export interface TxnPartition {
  topic: string;
  partition: number;
}

export interface TxnOffset extends TxnPartition {
  offset: number;
  metadata?: string | null;
}

export interface TxnMember {
  memberId: string;
  generationId: number;
  groupInstanceId?: string | null;
}

/**
 * What the door learns of a transaction (DescribeTransactions, and the Produce check that a
 * partition was added): the coordinator's `describe`, or undefined for an unknown id.
 */
export interface TxnDescription extends ProducerIdentity {
  transactionalId: string;
  /** Kafka's state names: Empty, Ongoing, PrepareCommit, …, Dead. */
  state: string;
  transactionTimeoutMs: number;
  /** When the open transaction started (ms since the epoch), 0 when none is open. */
  startedAtMs: number;
  partitions: TxnPartition[];
}

/** Calls the worker makes on the broker. */
export type BrokerCall =
  | { kind: 'topics' }
  | { kind: 'create-topic'; name: string; options: TopicOptions }
  | { kind: 'delete-topic'; name: string }
  | { kind: 'group'; request: ClassicRequest }
  // The transaction calls map 1:1 to the TransactionCoordinator's methods (TXN-DESIGN.md).
  | { kind: 'txn-init'; transactionalId: string; transactionTimeoutMs: number;
    current?: ProducerIdentity }
  | { kind: 'txn-add-partitions'; producer: TxnProducer; partitions: TxnPartition[] }
  | { kind: 'txn-add-offsets'; producer: TxnProducer; groupId: string }
  | { kind: 'txn-offset-commit'; producer: TxnProducer; groupId: string; offsets: TxnOffset[];
    member?: TxnMember }
  | { kind: 'txn-end'; producer: TxnProducer; commit: boolean }
  | { kind: 'txn-describe'; transactionalIds: string[] }
  | { kind: 'txn-list' };

export interface BrokerCallResults {
  'topics': TopicInfo[];
  'create-topic': null;
  'delete-topic': null;
  'group': ClassicReplies[ClassicRequest['type']];
  'txn-init': ProducerIdentity;
  'txn-add-partitions': null;
  'txn-add-offsets': null;
  'txn-offset-commit': null;
  'txn-end': null;
  'txn-describe': Array<TxnDescription | undefined>;
  'txn-list': TxnDescription[];
}

/** Worker → main thread. */
export type DoorEvent =
  | { kind: 'listening'; listeners: BoundListener[] }
  | { kind: 'listen-failed'; error: WireError }
  | { kind: 'call'; id: number; call: BrokerCall }
  | { kind: 'closed' };

/** Main thread → worker. */
export type DoorCommand =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WireError }
  | { kind: 'close'; graceMs: number };
