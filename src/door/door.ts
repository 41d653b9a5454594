/**
 * A Kafka door, main-thread side: `broker.listen()` starts one in its own worker thread (a
 * network actor beside the partition actors), so sockets, framing and request handling never
 * run on the embedding application's event loop. This side answers the worker's rare admin
 * calls (topics, create, delete) and its consumer-group requests from the broker (whose group
 * registry is the one embedded consumers use) and its transaction calls from the broker's
 * transaction coordinator, starts the worker again on the same addresses if it dies, and
 * stops it on `close()`.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { MambaError, fromWire, toWire } from '../errors.js';
import { workerUrl } from '../worker-url.js';
import type {
  BoundListener, BrokerCall, DoorCommand, DoorConfig, DoorEvent, DoorWorkerData, ProducerIdentity,
  TopicInfo, TxnDescription, TxnMember, TxnOffset, TxnPartition, TxnProducer,
} from './door-protocol.js';
import type { ClassicRequest } from '../coordinator/index.js';
import type { TopicOptions } from '../options.js';
import { SESSION_CLOSED, type SessionHandle } from '../shm/index.js';

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
/** A door worker that died is started again after this delay, doubling to the max. */
const restartDelayMsMin = 50;
const restartDelayMsMax = 5_000;

/** `door.on('restart', …)`: a door worker died and a new one listens on the same addresses. */
export interface DoorRestartEvent {
  exitCode: number;
  /** From the worker's exit to its replacement listening. */
  downtimeMs: number;
  /** Restarts of this door so far, this one included. */
  restarts: number;
}

interface Spawned {
  worker: Worker;
  session: SessionHandle;
  /** Settles when this worker is gone, whenever that happens. */
  exited: Promise<number>;
}

/**
 * One door: its worker thread, restarted on the same addresses when it dies (a bug met by one
 * request must not shut the network door for every client; they reconnect, as to a Kafka
 * broker that restarted). Event: `restart` (DoorRestartEvent).
 */
export class Door extends EventEmitter {
  private closing: Promise<void> | undefined;
  private current: Spawned | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = restartDelayMsMin;
  private restarts = 0;

  private constructor(private readonly backend: DoorBackend,
    private readonly config: DoorConfig, spawned: Spawned,
    private readonly bound: readonly BoundListener[], private readonly onClosed: () => void) {
    super();
    this.adopt(spawned);
  }

  static async start(backend: DoorBackend, config: DoorConfig,
    onClosed: () => void): Promise<Door> {
    const { spawned, bound } = await spawn(backend, config);
    return new Door(backend, config, spawned, bound, onClosed);
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
   * Chaos hook for tests and crash drills: terminates the door's worker thread as a crash would
   * (its connections drop); a new one listens on the same addresses (the `restart` event).
   * Resolves once the worker has exited.
   */
  async crashWorker(): Promise<void> {
    const current = this.current;
    if (current === undefined || this.closing !== undefined) return;
    await current.worker.terminate();
    await current.exited;
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to a grace period), closes
   * every connection and the worker.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private adopt(spawned: Spawned): void {
    this.current = spawned;
    void spawned.exited.then((exitCode) => this.onExit(spawned, exitCode));
  }

  private onExit(spawned: Spawned, exitCode: number): void {
    // Its producer session is done with: the actors drop it once its reads are settled.
    Atomics.store(new Int32Array(spawned.session.control), SESSION_CLOSED, 1);
    if (this.current !== spawned || this.closing !== undefined) return;
    this.current = undefined;
    const exitedAtMs = performance.now();
    console.error(`mamba: the Kafka door's worker exited (${exitCode}); starting a new one`);
    this.restartLater(exitCode, exitedAtMs, 0);
  }

  private restartLater(exitCode: number, exitedAtMs: number, delayMs: number): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart(exitCode, exitedAtMs);
    }, delayMs);
  }

  private async restart(exitCode: number, exitedAtMs: number): Promise<void> {
    if (this.closing !== undefined) return;
    // The same addresses: a listener on port 0 keeps the port it was given.
    const config: DoorConfig = {
      ...this.config,
      listeners: this.config.listeners.map((listener, i) => ({
        ...listener, port: this.bound[i]?.port ?? listener.port,
      })),
    };
    try {
      const { spawned } = await spawn(this.backend, config);
      if (this.closing !== undefined) {
        await spawned.worker.terminate();
        return;
      }
      this.restarts++;
      this.restartDelayMs = restartDelayMsMin;
      this.adopt(spawned);
      this.emit('restart', {
        exitCode, downtimeMs: performance.now() - exitedAtMs, restarts: this.restarts,
      } satisfies DoorRestartEvent);
    } catch (error) {
      // The port may still be held for a moment, or the machine short of something: again,
      // later, with the delay doubled.
      console.error(`mamba: the Kafka door could not start again: ${String(error)}`);
      const delayMs = this.restartDelayMs;
      this.restartDelayMs = Math.min(2 * delayMs, restartDelayMsMax);
      this.restartLater(exitCode, exitedAtMs, delayMs);
    }
  }

  private async closeOnce(): Promise<void> {
    clearTimeout(this.restartTimer);
    const current = this.current;
    if (current !== undefined) {
      const closed = new Promise<void>((resolve) => {
        current.worker.on('message', (event: DoorEvent) => {
          if (event.kind === 'closed') resolve();
        });
      });
      current.worker.postMessage({ kind: 'close', graceMs: closeGraceMs } satisfies DoorCommand);
      await Promise.race([closed, current.exited]);
      await current.worker.terminate();
    }
    this.onClosed();
  }
}

/** Starts a door worker and waits until it listens (or failed to). */
async function spawn(backend: DoorBackend, config: DoorConfig):
  Promise<{ spawned: Spawned; bound: BoundListener[] }> {
  const data: DoorWorkerData = {
    config, session: backend.newSession(), dataDir: backend.dataDir,
  };
  const worker = new Worker(workerUrl('./door-worker.js', import.meta.url), { workerData: data });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
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
    void exited.then((code) => reject(new MambaError('IO_ERROR',
      `the Kafka door's worker exited (${code}) before listening`)));
  }).catch(async (error: unknown) => {
    await worker.terminate();
    Atomics.store(new Int32Array(data.session.control), SESSION_CLOSED, 1);
    throw error;
  });
  worker.removeAllListeners('error');
  worker.on('error', (error) => console.error('mamba: Kafka door worker failed:', error));
  return { spawned: { worker, session: data.session, exited }, bound };
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
