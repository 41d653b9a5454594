/**
 * Everything a request handler in the door worker may use: the producer session (produce goes
 * through the same rings as embedded producers), the control block (high-watermarks, log
 * starts), the topic directory and cache, the partition readers, the broker link for admin
 * calls, the door's configuration, and security: the credential store, the ACLs, and
 * `authorize`.
 *
 * A handler gets the context of its connection (`forConnection`): the shared context as a
 * prototype, with the connection's own scope on top (listener, advertised address, principal,
 * client address, SASL state), so that `context.principal` and `context.advertised` are the
 * connection's while everything else is shared.
 */
import os from 'node:os';
import { ControlBlock, PARTITION_CHANGE_COUNT } from '../shm/index.js';
import { ProducerSession } from '../client/index.js';
import { TopicDirectory } from '../shm/index.js';
import { BrokerLink } from './broker-link.js';
import type {
  DoorConfig, DoorWorkerData, ListenerConfig, SecurityProtocol,
} from './door-protocol.js';
import {
  ANONYMOUS, AclStore, CLUSTER_RESOURCE_NAME, CredentialStore, type AclOperation, type Resource,
} from '../security/index.js';
import { AuthFailures } from './auth-failures.js';
import type { SaslSession } from './sasl-session.js';
import { PartitionReaders } from './partition-readers.js';
import { TopicCache } from './topic-cache.js';
import { TxnPartitions } from './txn-partitions.js';

/** The one node of this single-host cluster. */
export const NODE_ID = 0;
export const CLUSTER_ID = 'mamba-single-host';

/** What one connection adds to the shared context. */
export interface ConnectionScope {
  protocol: SecurityProtocol;
  advertised: { host: string; port: number };
  /** `User:ANONYMOUS` until a SASL login or a client certificate names someone. */
  principal: string;
  /** The client's address (IPv4-mapped IPv6 addresses in their IPv4 form), for host ACLs. */
  clientHost: string;
  /** False on a SASL listener until the client has logged in. */
  authenticated: boolean;
  sasl: SaslSession | undefined;
}

export class DoorContext {
  readonly session: ProducerSession;
  readonly controlBlock: ControlBlock;
  readonly directory: TopicDirectory;
  readonly topics: TopicCache;
  readonly readers: PartitionReaders;
  readonly config: DoorConfig;
  readonly credentials: CredentialStore;
  /** The ACLs; undefined when no listener authenticates (then everything is allowed). */
  readonly acls: AclStore | undefined;
  readonly authFailures = new AuthFailures();
  /** The partitions transactional producers added through this door (Produce checks them). */
  readonly txnPartitions = new TxnPartitions();
  /** The connection's own part; undefined on the shared context. */
  readonly scope: ConnectionScope | undefined;
  private readonly advertisedBy = new Map<SecurityProtocol, { host: string; port: number }>();
  /** Set once the door closes: long polls answer with what they have. */
  isClosed = false;
  /** Resolves when the door closes, to end long polls early. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(data: DoorWorkerData, readonly broker: BrokerLink) {
    this.config = data.config;
    this.session = new ProducerSession(data.session);
    this.controlBlock = new ControlBlock(data.session.controlBlock);
    this.directory = new TopicDirectory(data.session.topicDirectory);
    this.topics = new TopicCache(this.directory, broker);
    this.readers = new PartitionReaders(data.dataDir);
    this.credentials = new CredentialStore(data.dataDir);
    this.acls = data.config.authorization ?
      new AclStore(data.dataDir, data.config.superUsers) : undefined;
    this.closed = new Promise((resolve) => { this.markClosed = resolve; });
  }

  /** Sets the address Metadata advertises on a listener, once it is bound. */
  bound(listener: ListenerConfig, host: string, port: number): void {
    const wildcard = host === '0.0.0.0' || host === '::';
    this.advertisedBy.set(listener.protocol, {
      host: listener.advertisedHost ?? (wildcard ? os.hostname() : host),
      port: listener.advertisedPort ?? port,
    });
  }

  /** The address Metadata and FindCoordinator give: the connection's listener's. */
  get advertised(): { host: string; port: number } {
    return this.scope?.advertised ?? this.advertisedBy.values().next().value ??
      { host: '127.0.0.1', port: 0 };
  }

  advertisedFor(protocol: SecurityProtocol): { host: string; port: number } {
    return this.advertisedBy.get(protocol) ?? this.advertised;
  }

  /** The principal of the connection: `User:alice`, or `User:ANONYMOUS`. */
  get principal(): string {
    return this.scope?.principal ?? ANONYMOUS;
  }

  /** A context for one connection: this one's, with `scope` its own. */
  forConnection(scope: ConnectionScope): DoorContext {
    const scoped = Object.create(this) as DoorContext;
    Object.defineProperty(scoped, 'scope', { value: scope, enumerable: true });
    return scoped;
  }

  /**
   * Whether `principal` may do `operation` on `resource` (security/acl.ts has the rule: super
   * users, then deny wins, then allow). Always true when no listener authenticates. The host
   * ACLs match is the connection's client address.
   */
  authorize(principal: string, operation: AclOperation, resource: Resource): boolean {
    if (this.acls === undefined) return true;
    return this.acls.authorize(principal, this.scope?.clientHost ?? '', operation, resource);
  }

  /** `authorize` for this connection's principal. */
  allows(operation: AclOperation, resource: Resource): boolean {
    return this.authorize(this.principal, operation, resource);
  }

  allowsTopic(operation: AclOperation, topic: string): boolean {
    return this.allows(operation, { type: 'topic', name: topic });
  }

  allowsGroup(operation: AclOperation, group: string): boolean {
    return this.allows(operation, { type: 'group', name: group });
  }

  allowsTransactionalId(operation: AclOperation, transactionalId: string): boolean {
    return this.allows(operation, { type: 'transactionalId', name: transactionalId });
  }

  allowsCluster(operation: AclOperation): boolean {
    return this.allows(operation, { type: 'cluster', name: CLUSTER_RESOURCE_NAME });
  }

  /** Creating a topic (CreateTopics, auto-creation): Create on the cluster or on the topic. */
  allowsCreate(topic: string): boolean {
    return this.allowsCluster('Create') || this.allowsTopic('Create', topic);
  }

  /** Whether the connection's principal may do `operation` on some topic (or group). */
  allowsAny(operation: AclOperation, type: 'topic' | 'group'): boolean {
    if (this.acls === undefined) return true;
    return this.acls.authorizeAny(this.principal, this.scope?.clientHost ?? '', operation, type);
  }

  close(): void {
    this.isClosed = true;
    this.markClosed();
    this.session.close();
  }

  /**
   * Resolves once any of the partition slots' change counters moved from the values seen, the
   * time is up, or the door closes. One timer bounds the wait; the `waitAsync`s left pending
   * hold nothing alive and settle on their own.
   */
  async waitForChange(slots: readonly number[], seen: readonly number[],
    timeoutMs: number): Promise<void> {
    const words = this.controlBlock.i32;
    const waits: Array<Promise<unknown>> = [this.closed];
    for (let i = 0; i < slots.length; i++) {
      const index = this.controlBlock.partitionWord(slots[i], PARTITION_CHANGE_COUNT);
      const result = atomics.waitAsync(words, index, seen[i], timeoutMs);
      if (!result.async) return;
      waits.push(result.value);
    }
    let timer: NodeJS.Timeout | undefined;
    waits.push(new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); }));
    await Promise.race(waits);
    clearTimeout(timer);
  }
}

const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number):
    { async: false; value: string } | { async: true; value: Promise<string> };
};
