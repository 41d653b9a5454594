/**
 * Transactions of an embedded producer (issue 16): `broker.producer({ transactionalId })`,
 * `const tx = await producer.transaction()`, `tx.send`/`tx.sendBatch` to any partitions of any
 * topics, `tx.sendOffsets(...)` to commit a consumer's offsets with the records, and
 * `await tx.commit()` or `await tx.abort()`. The producer keeps the data path it always has;
 * this file holds what transactions add to it, so that producer.ts only calls a few hooks:
 *
 * - identity: the producer id and epoch come from the transaction coordinator (initProducerId,
 *   on the first `transaction()`), never from the random ids of plain idempotent producers;
 * - every partition is registered with the coordinator (addPartitions, durable) before the
 *   producer's first batch to it in a transaction, so that the coordinator knows where its
 *   markers go even if this process dies right after the batch;
 * - every send of the transaction is tracked: commit waits for each one's acknowledgement
 *   (flush), and a transaction in which a send failed cannot commit: it is aborted instead, and
 *   the next transaction starts with a new epoch (the failed batch may have left a gap in the
 *   partition's sequence).
 *
 * Fencing: a second producer with the same transactionalId bumps the epoch at the coordinator,
 * which aborts this producer's open transaction with the new epoch; this producer's next send
 * or commit then fails with PRODUCER_FENCED (the coordinator refuses its old epoch, and so do
 * the partitions that saw the abort marker); once the coordinator has said so, every later
 * call does too: a fenced producer is done. A transaction aborted by the coordinator's timeout
 * fails its commit with INVALID_PRODUCER_EPOCH (its partitions refuse later sends with
 * PRODUCER_FENCED too, which is why only the coordinator's answer fences the producer); the
 * producer asks for a new epoch and may start the next one.
 */
import { MambaError } from '../errors.js';
import type {
  PendingOffset, ProducerIdAndEpoch, TransactionCoordinator,
} from '../transactions/index.js';
import { hasDelay, type DelayFields } from './delayed-message.js';
import type { Message, SendResult } from './producer.js';

/** What a transactional producer asks of the coordinator (`TransactionCoordinator`). */
export type TransactionLink = Pick<TransactionCoordinator,
  'initProducerId' | 'addPartitions' | 'addOffsets' | 'txnOffsetCommit' | 'endTxn'>;

/** What the transaction needs of its producer (hooks in producer.ts). */
export interface TransactionalProducer {
  send(topic: string, message: Message): Promise<SendResult>;
  sendBatch(topic: string, messages: readonly Message[]): Promise<SendResult[]>;
  /** Seals and waits for every batch sent so far. */
  flush(): Promise<void>;
  /** Takes a producer id and epoch from the coordinator; sequences start again at 0. */
  setIdentity(producerId: number, producerEpoch: number): void;
}

/** The consumer whose offsets a transaction commits: a group consumer (`Consumer`). */
export interface OffsetsConsumer {
  readonly groupId: string | undefined;
}

export interface SendOffsetsOptions {
  /** The group consumer whose offsets these are, or name the group with `groupId`. */
  consumer?: OffsetsConsumer;
  groupId?: string;
  /** The offsets to commit: each the next record to read, as `consumer.commit` takes them. */
  topics: { topic: string; partitions: { partition: number; offset: number }[] }[];
}

export class Transaction {
  /** Partitions registered with the coordinator, or being registered: key → that call. */
  readonly partitions = new Map<string, Promise<void>>();
  readonly groups = new Map<string, Promise<void>>();
  readonly sends = new Set<Promise<unknown>>();
  failure: unknown;
  ending = false;

  constructor(private readonly manager: TransactionManager) {}

  /** Sends one message in this transaction (acks 'all', idempotent). */
  send(topic: string, message: Message): Promise<SendResult> {
    return this.manager.sendFor(this, () => this.manager.producer.send(topic, message));
  }

  /** Sends many messages in this transaction; one result per message, in order. */
  sendBatch(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    return this.manager.sendFor(this, () => this.manager.producer.sendBatch(topic, messages));
  }

  /**
   * Commits a consumer group's offsets with this transaction: applied to the group only if
   * the transaction commits. Give the group's consumer (its groupId is used), or `groupId`.
   */
  sendOffsets(options: SendOffsetsOptions): Promise<void> {
    return this.manager.sendOffsets(this, options);
  }

  /** Waits for every send's acknowledgement, then commits; resolves once complete. */
  commit(): Promise<void> {
    return this.manager.end(this, true);
  }

  /** Waits for the sends under way, then aborts: none of the records is ever read committed. */
  abort(): Promise<void> {
    return this.manager.end(this, false);
  }
}

/** A producer's transactional state: its identity, its one open transaction, fencing. */
export class TransactionManager {
  private identity: ProducerIdAndEpoch | undefined;
  private open: Transaction | undefined;
  private fenced: MambaError | undefined;
  /** Set after a failed or timed-out transaction: the next one asks for a new epoch. */
  private needsNewEpoch = false;

  constructor(
    private readonly link: TransactionLink,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
    readonly producer: TransactionalProducer,
  ) {}

  /** Opens this producer's one transaction (after initProducerId, the first time). */
  async begin(): Promise<Transaction> {
    if (this.fenced !== undefined) throw this.fenced;
    if (this.open !== undefined) {
      throw new MambaError('INVALID_TXN_STATE',
        `producer ${JSON.stringify(this.transactionalId)} already has an open transaction: ` +
        'commit or abort it first',
      { detail: { transactionalId: this.transactionalId } });
    }
    const transaction = new Transaction(this);
    this.open = transaction;
    try {
      if (this.identity === undefined || this.needsNewEpoch) await this.initIdentity();
    } catch (error) {
      this.open = undefined;
      throw this.noteFenced(error);
    }
    return transaction;
  }

  /** Why a send may not go now (no open transaction, fenced, ending), if it may not. */
  refusal(messages: readonly DelayFields[]): MambaError | undefined {
    if (this.fenced !== undefined) return this.fenced;
    const open = this.open;
    if (open === undefined || open.ending) {
      return new MambaError('INVALID_TXN_STATE',
        `producer ${JSON.stringify(this.transactionalId)} is transactional: send inside a ` +
        'transaction (await producer.transaction())',
      { detail: { transactionalId: this.transactionalId } });
    }
    if (messages.some(hasDelay)) {
      return new MambaError('INVALID_CONFIG', 'a delayed message cannot be sent in a transaction' +
        ' (its delivery would happen whether the transaction commits or not)');
    }
    return undefined;
  }

  /** A send of the open transaction: refused as `refusal` says, else run and tracked. */
  track<T>(messages: readonly DelayFields[], run: () => Promise<T>): Promise<T> {
    const refused = this.refusal(messages);
    if (refused !== undefined) return rejectLater(refused);
    return this.trackIn(this.open!, run());
  }

  sendFor<T>(transaction: Transaction, run: () => Promise<T>): Promise<T> {
    if (transaction !== this.open) {
      return rejectLater(new MambaError('INVALID_TXN_STATE',
        'this transaction is over (committed or aborted)'));
    }
    return run();
  }

  /**
   * Registers with the coordinator the partitions of `topic` a batch is about to go to, those
   * not yet in the transaction; undefined when all are (the fast path, no wait).
   */
  register(topic: string, partitions: Iterable<number>): Promise<void> | undefined {
    const transaction = this.open;
    if (transaction === undefined) return undefined;
    const waits: Promise<void>[] = [];
    const added: { topic: string; partition: number }[] = [];
    for (const partition of partitions) {
      const key = `${topic}\u0000${partition}`;
      const known = transaction.partitions.get(key);
      if (known !== undefined) {
        waits.push(known);
        continue;
      }
      added.push({ topic, partition });
    }
    if (added.length > 0) {
      const { producerId, producerEpoch } = this.identity!;
      const call = this.link.addPartitions(this.transactionalId, producerId, producerEpoch,
        added).catch((error: unknown) => { throw this.noteFenced(error); });
      for (const { partition } of added) {
        transaction.partitions.set(`${topic}\u0000${partition}`, call);
      }
      waits.push(call);
    }
    if (waits.length === 0) return undefined;
    return Promise.all(waits).then(() => undefined);
  }

  async sendOffsets(transaction: Transaction, options: SendOffsetsOptions): Promise<void> {
    const groupId = groupOf(options);
    const offsets = offsetsOf(options);
    await this.sendFor(transaction, () => this.trackIn(transaction, (async () => {
      const refused = this.refusal([]);
      if (refused !== undefined) throw refused;
      const { producerId, producerEpoch } = this.identity!;
      let added = transaction.groups.get(groupId);
      if (added === undefined) {
        added = this.link.addOffsets(this.transactionalId, producerId, producerEpoch, groupId);
        transaction.groups.set(groupId, added);
      }
      await added;
      await this.link.txnOffsetCommit(this.transactionalId, producerId, producerEpoch, groupId,
        offsets);
    })().catch((error: unknown) => { throw this.noteFenced(error); })));
  }

  /**
   * Commits or aborts: new sends are refused, the ones under way are waited for; a commit
   * with a failed send aborts instead and rejects with that send's error.
   */
  async end(transaction: Transaction, commit: boolean): Promise<void> {
    if (this.fenced !== undefined) throw this.fenced;
    if (transaction !== this.open || transaction.ending) {
      throw new MambaError('INVALID_TXN_STATE', `this transaction is ${transaction.ending
        ? 'already ending' : 'over (committed or aborted)'}`);
    }
    transaction.ending = true;
    try {
      await this.producer.flush();
      await Promise.allSettled([...transaction.sends]);
      if (this.fenced !== undefined) throw this.fenced;
      const failure = transaction.failure;
      const touched = transaction.partitions.size > 0 || transaction.groups.size > 0;
      if (touched) {
        const { producerId, producerEpoch } = this.identity!;
        await this.link.endTxn(this.transactionalId, producerId, producerEpoch,
          commit && failure === undefined).catch((error: unknown) => {
          throw this.noteFenced(error);
        });
      }
      if (failure !== undefined) {
        this.needsNewEpoch = true;
        if (commit) throw failure;
      }
    } catch (error) {
      // The coordinator's transaction may still be Ongoing (its Prepare record failed) or
      // completing: the next transaction asks for a new epoch, which has the coordinator
      // abort or finish this one first, instead of continuing it with the next one's records.
      this.needsNewEpoch = true;
      throw error;
    } finally {
      this.open = undefined;
    }
  }

  /** Aborts the open transaction, if any, when the producer closes (best effort). */
  async close(): Promise<void> {
    const open = this.open;
    if (open === undefined || open.ending || this.fenced !== undefined) return;
    await this.end(open, false).catch(() => undefined);
  }

  /**
   * A send's failure fails the transaction but does not by itself fence the producer: a
   * partition refuses an old epoch (PRODUCER_FENCED) both after another producer took over and
   * after the coordinator's timeout aborted the transaction; the coordinator's answer at the
   * end tells the two apart.
   */
  private trackIn<T>(transaction: Transaction, promise: Promise<T>): Promise<T> {
    transaction.sends.add(promise);
    promise.then(() => undefined, (error: unknown) => { transaction.failure ??= error; });
    return promise;
  }

  private async initIdentity(): Promise<void> {
    const current = this.needsNewEpoch ? this.identity : undefined;
    const identity = await this.link.initProducerId(this.transactionalId,
      this.transactionTimeoutMs, current);
    this.identity = identity;
    this.needsNewEpoch = false;
    this.producer.setIdentity(identity.producerId, identity.producerEpoch);
  }

  /** A PRODUCER_FENCED answer of the coordinator fences this producer for good. */
  private noteFenced(error: unknown): unknown {
    if (MambaError.is(error, 'PRODUCER_FENCED')) this.fenced ??= error;
    return error;
  }
}

function groupOf(options: SendOffsetsOptions): string {
  if (typeof options !== 'object' || options === null) {
    throw new MambaError('INVALID_CONFIG', 'sendOffsets takes { consumer | groupId, topics }');
  }
  const groupId = options.groupId ?? options.consumer?.groupId;
  if (typeof groupId !== 'string' || groupId === '') {
    throw new MambaError('INVALID_CONFIG',
      'sendOffsets needs a groupId, or a consumer that has one', { detail: { groupId } });
  }
  if (options.groupId !== undefined && options.consumer?.groupId !== undefined &&
    options.consumer.groupId !== options.groupId) {
    throw new MambaError('INVALID_CONFIG', `sendOffsets: groupId ${options.groupId} is not ` +
      `the consumer's group ${options.consumer.groupId}`);
  }
  return groupId;
}

function offsetsOf(options: SendOffsetsOptions): PendingOffset[] {
  if (!Array.isArray(options.topics)) {
    throw new MambaError('INVALID_CONFIG',
      'sendOffsets: topics must be [{ topic, partitions: [{ partition, offset }] }]');
  }
  const offsets: PendingOffset[] = [];
  for (const entry of options.topics) {
    if (typeof entry?.topic !== 'string' || !Array.isArray(entry.partitions)) {
      throw new MambaError('INVALID_CONFIG',
        'sendOffsets: each topic is { topic, partitions: [{ partition, offset }] }');
    }
    for (const { partition, offset } of entry.partitions) {
      offsets.push({ topic: entry.topic, partition, offset });
    }
  }
  return offsets;
}

/** A rejection on a later turn of the event loop, as the producer's own (issue 17, item 3). */
function rejectLater<T>(error: unknown): Promise<T> {
  return new Promise((_resolve, reject) => { setImmediate(reject, error); });
}
