/**
 * A Kafka door, main-thread side: `broker.listen()` starts one in its own worker thread (a
 * network actor beside the partition actors), so sockets, framing and request handling never
 * run on the embedding application's event loop. This side answers the worker's rare admin
 * calls (topics, create, delete) and its consumer-group requests from the broker (whose group
 * registry is the one embedded consumers use) and its transaction calls from the broker's
 * transaction coordinator, and stops the worker on `close()`.
 */
import { Worker } from 'node:worker_threads';
import { MambaError, fromWire, toWire } from '../errors.js';
import { workerUrl } from '../worker-url.js';
import type {
  BoundListener, BrokerCall, DoorCommand, DoorConfig, DoorEvent, DoorWorkerData, ProducerIdentity,
  TopicInfo, TxnDescription, TxnMember, TxnOffset, TxnPartition, TxnProducer,
} from './door-protocol.js';
import type { ClassicRequest } from '../coordinator/index.js';
import type { TopicOptions } from '../options.js';
import type { SessionHandle } from '../shm/index.js';

/** What a door needs from the broker. */
export interface DoorBackend {
  dataDir: string;
  newSession(): SessionHandle;
  topics(): TopicInfo[];
  createTopic(name: string, options: TopicOptions): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Serves a consumer-group request (JoinGroup, OffsetCommit, …) from the group registry. */
  classicGroups(request: ClassicRequest): Promise<unknown>;
  /**
   * The transaction coordinator (TXN-DESIGN.md's `TransactionCoordinator`); without one the
   * transaction calls fail with COORDINATOR_NOT_AVAILABLE.
   */
  transactions?: DoorTransactions;
}

/**
 * What the door calls on the broker's transaction coordinator: its methods as TXN-DESIGN.md
 * names them, and `describe` in the door's shape. Errors are MambaErrors whose code is the
 * Kafka error name (INVALID_TXN_STATE, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS, …).
 */
export interface DoorTransactions {
  initProducerId(transactionalId: string, transactionTimeoutMs: number,
    current?: ProducerIdentity): Promise<ProducerIdentity>;
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number,
    partitions: TxnPartition[]): Promise<void>;
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number,
    groupId: string): Promise<void>;
  txnOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number,
    groupId: string, offsets: TxnOffset[], member?: TxnMember): Promise<void>;
  endTxn(transactionalId: string, producerId: number, producerEpoch: number,
    commit: boolean): Promise<void>;
  describe(transactionalId: string): Promise<TxnDescription | undefined>;
  /** Every transactional id the coordinator holds. */
  transactionalIds(): string[];
}

/** How long `close()` lets in-flight requests finish before connections are cut. */
const closeGraceMs = 5_000;

export class Door {
  private closing: Promise<void> | undefined;
  /** Settles when the worker thread is gone, whenever that happens (even before `close()`). */
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker,
    private readonly bound: readonly BoundListener[], private readonly onClosed: () => void) {
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => resolve());
    });
  }

  static async start(backend: DoorBackend, config: DoorConfig,
    onClosed: () => void): Promise<Door> {
    const data: DoorWorkerData = {
      config, session: backend.newSession(), dataDir: backend.dataDir,
    };
    const worker = new Worker(workerUrl('./door-worker.js', import.meta.url), { workerData: data });
    worker.on('message', (event: DoorEvent) => {
      if (event.kind === 'call') void answer(worker, backend, event.id, event.call);
    });
    const bound = await new Promise<BoundListener[]>((resolve, reject) => {
      const onMessage = (event: DoorEvent) => {
        if (event.kind === 'listening') resolve(event.listeners);
        else if (event.kind === 'listen-failed') reject(fromWire(event.error));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new MambaError('IO_ERROR',
        `the Kafka door's worker exited (${code}) before listening`)));
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('error');
    worker.on('error', (error) => console.error('mamba: Kafka door worker failed:', error));
    return new Door(worker, bound, onClosed);
  }

  /** The address of the door's first listener (the port the system chose, for port 0). */
  address(): { host: string; port: number } {
    return { host: this.bound[0].host, port: this.bound[0].port };
  }

  /** Every listener: its protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) and address. */
  addresses(): BoundListener[] {
    return this.bound.map((listener) => ({ ...listener }));
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to a grace period), closes
   * every connection and the worker.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (event: DoorEvent) => {
        if (event.kind === 'closed') resolve();
      });
    });
    this.worker.postMessage({ kind: 'close', graceMs: closeGraceMs } satisfies DoorCommand);
    await Promise.race([closed, this.exited]);
    await this.worker.terminate();
    this.onClosed();
  }
}

async function answer(worker: Worker, backend: DoorBackend, id: number,
  call: BrokerCall): Promise<void> {
  let reply: DoorCommand;
  try {
    let value: unknown = null;
    switch (call.kind) {
      case 'topics': value = backend.topics(); break;
      case 'create-topic': await backend.createTopic(call.name, call.options); break;
      case 'delete-topic': await backend.deleteTopic(call.name); break;
      case 'group': value = await backend.classicGroups(call.request); break;
      default:
        if (backend.transactions === undefined) {
          throw new MambaError('KAFKA_ERROR', 'this broker has no transaction coordinator', {
            retriable: true, detail: { kafkaName: 'COORDINATOR_NOT_AVAILABLE' },
          });
        }
        value = await answerTxn(backend.transactions, call);
    }
    reply = { kind: 'reply', id, ok: true, value };
  } catch (error) {
    reply = { kind: 'reply', id, ok: false, error: toWire(error) };
  }
  worker.postMessage(reply);
}

type TxnCall = Extract<BrokerCall, { kind: `txn-${string}` }>;

/** A transaction call's producer as the coordinator's first three arguments. */
function who(producer: TxnProducer): [string, number, number] {
  return [producer.transactionalId, producer.producerId, producer.producerEpoch];
}

async function answerTxn(txn: DoorTransactions, call: TxnCall): Promise<unknown> {
  switch (call.kind) {
    case 'txn-init':
      return txn.initProducerId(call.transactionalId, call.transactionTimeoutMs, call.current);
    case 'txn-add-partitions':
      return txn.addPartitions(...who(call.producer), call.partitions).then(() => null);
    case 'txn-add-offsets':
      return txn.addOffsets(...who(call.producer), call.groupId).then(() => null);
    case 'txn-offset-commit':
      return txn.txnOffsetCommit(...who(call.producer), call.groupId, call.offsets, call.member)
        .then(() => null);
    case 'txn-end':
      return txn.endTxn(...who(call.producer), call.commit).then(() => null);
    case 'txn-describe':
      return Promise.all(call.transactionalIds.map((id) => txn.describe(id)));
    case 'txn-list': {
      const all = await Promise.all(txn.transactionalIds().map((id) => txn.describe(id)));
      return all.filter((description) => description !== undefined);
    }
  }
}
