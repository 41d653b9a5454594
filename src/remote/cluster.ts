/**
 * What the client knows of the cluster: its brokers (nodes), their connections, and the
 * metadata of topics (partitions and their leaders).
 *
 * Connections: one per node per lane. A broker answers the requests of one connection in the
 * order they came, so a request it may hold — a Fetch waiting `maxWaitMs` for records, a
 * JoinGroup parked until the group's other members rejoin — holds up everything behind it on
 * that connection. The producers and admin calls share the `default` lane; each consumer has a
 * fetch lane and a group lane of its own (as each Kafka Java client instance has its own
 * connections). Without that, a second member's parked JoinGroup held up the first member's
 * heartbeat that would have told it to rejoin, until the session timeout expelled it.
 *
 * Every operation of the remote client goes through `retrying`, which is where reconnects,
 * backoff and metadata refreshes happen:
 *
 * | failure                                   | what `retrying` does                          |
 * | ----------------------------------------- | --------------------------------------------- |
 * | CONNECTION_FAILED (refused, lost, cut)     | refresh metadata, wait the node's backoff, retry |
 * | NOT_LEADER (leader moved, coordinator moved) | refresh metadata, retry                     |
 * | UNKNOWN_TOPIC on a topic the cache knew    | refresh metadata, retry (it may have moved)   |
 * | TIMEOUT (the connection was dropped)       | retry on a new connection                     |
 * | anything else, or `retryTimeoutMs` passed  | thrown to the caller                          |
 *
 * Reconnect backoff is per node: `reconnectBackoffMs` doubling per failed attempt up to
 * `reconnectBackoffMsMax`, with ±20% jitter so that clients of one broker do not reconnect in
 * step; a connection that opens resets it.
 */
import { MambaError, unknownTopic } from '../errors.js';
import {
  ApiKey, kafkaErrorCode, type MetadataResponse,
} from '../protocol/index.js';
import { BrokerConnection, show } from './broker-connection.js';
import type { BrokerAddress, ConnectConfig } from './connect-options.js';
import { fromKafkaCode } from './kafka-error.js';

export interface PartitionMetadata {
  partition: number;
  leaderId: number;
  errorCode: number;
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  partitions: PartitionMetadata[];
}

interface Node {
  address: BrokerAddress;
  connections: Map<string, Promise<BrokerConnection>>;
  failures: number;
  nextAttemptAtMs: number;
}

/** Bootstrap addresses are nodes with negative ids until Metadata names the real ones. */
const BOOTSTRAP_ID_BASE = -1000;

export class Cluster {
  private readonly nodes = new Map<number, Node>();
  private readonly topics = new Map<string, TopicMetadata>();
  private refreshing: Promise<void> | undefined;
  private refreshedAtMs = 0;
  private isClosed = false;
  private controllerId = -1;

  constructor(readonly config: ConnectConfig) {
    config.brokers.forEach((address, i) => this.nodes.set(BOOTSTRAP_ID_BASE - i, {
      address, connections: new Map(), failures: 0, nextAttemptAtMs: 0,
    }));
  }

  /** Connects to a bootstrap broker and learns the cluster. */
  async start(): Promise<void> {
    await this.retrying('connect', () => this.refreshMetadata());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The connection to node `nodeId` in `lane`, opened (after its backoff) if there is none. */
  connectionTo(nodeId: number, lane = DEFAULT_LANE): Promise<BrokerConnection> {
    if (this.isClosed) return Promise.reject(closedError());
    const node = this.nodes.get(nodeId);
    if (node === undefined) {
      return Promise.reject(new MambaError('NOT_LEADER', `node ${nodeId} is not in the metadata`,
        { detail: { nodeId } }));
    }
    let connection = node.connections.get(lane);
    if (connection === undefined) {
      const opening = connection = this.open(node);
      node.connections.set(lane, opening);
      // A closed connection leaves its lane, unless a newer one took the lane meanwhile.
      const forget = (): void => {
        if (node.connections.get(lane) === opening) node.connections.delete(lane);
      };
      opening.then((c) => c.onClose(forget), forget);
    }
    return connection;
  }

  /** A connection to any broker: the controller, else the first that answers. */
  async anyConnection(): Promise<BrokerConnection> {
    const ids = [...this.nodes.keys()].filter((id) => this.isClosed || id >= 0);
    const candidates = ids.length > 0 ? ids : [...this.nodes.keys()];
    if (candidates.includes(this.controllerId)) {
      candidates.splice(candidates.indexOf(this.controllerId), 1);
      candidates.unshift(this.controllerId);
    }
    let last: unknown;
    for (const id of candidates) {
      try {
        return await this.connectionTo(id);
      } catch (error) {
        last = error;
      }
    }
    throw last ?? new MambaError('CONNECTION_FAILED', 'no broker is known');
  }

  private async open(node: Node): Promise<BrokerConnection> {
    const waitMs = node.nextAttemptAtMs - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (this.isClosed) throw closedError();
    try {
      const connection = await BrokerConnection.open(node.address, this.config);
      node.failures = 0;
      if (this.isClosed) connection.close();
      return connection;
    } catch (error) {
      node.failures++;
      const backoffMs = Math.min(this.config.reconnectBackoffMsMax,
        this.config.reconnectBackoffMs * 2 ** (node.failures - 1));
      node.nextAttemptAtMs = Date.now() + backoffMs * (0.8 + Math.random() * 0.4);
      throw error;
    }
  }

  /** Cached metadata of a topic, refreshing once when it is not known. */
  async topic(name: string): Promise<TopicMetadata> {
    if (!this.topics.has(name) || this.stale()) await this.refreshMetadata();
    const topic = this.topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return topic;
  }

  /** The cached metadata, without asking (undefined when unknown). */
  cachedTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  leaderOf(topic: TopicMetadata, partition: number): number {
    const leader = topic.partitions[partition]?.leaderId ?? -1;
    if (leader < 0) {
      throw new MambaError('NOT_LEADER', `${topic.name}/${partition} has no leader yet`,
        { detail: { topic: topic.name, partition } });
    }
    return leader;
  }

  private stale(): boolean {
    return Date.now() - this.refreshedAtMs > this.config.metadataMaxAgeMs;
  }

  /** Asks for every topic's metadata; concurrent calls share one request. */
  refreshMetadata(): Promise<void> {
    this.refreshing ??= this.fetchMetadata().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async fetchMetadata(): Promise<void> {
    const connection = await this.anyConnection();
    const response = await connection.request<MetadataResponse>(ApiKey.METADATA, {
      topics: null, allowAutoTopicCreation: false,
    });
    for (const broker of response.brokers) {
      const existing = this.nodes.get(broker.nodeId);
      if (existing !== undefined && existing.address.host === broker.host &&
        existing.address.port === broker.port) continue;
      if (existing !== undefined) closeAll(existing);
      this.nodes.set(broker.nodeId, { address: { host: broker.host, port: broker.port },
        connections: new Map(), failures: 0, nextAttemptAtMs: 0 });
    }
    this.controllerId = response.controllerId;
    this.topics.clear();
    for (const topic of response.topics) {
      if (topic.errorCode !== 0 || topic.name === null || topic.isInternal) continue;
      this.topics.set(topic.name, {
        name: topic.name, topicId: topic.topicId,
        partitions: topic.partitions.slice().sort((a, b) => a.partitionIndex - b.partitionIndex)
          .map((p) => ({ partition: p.partitionIndex, leaderId: p.leaderId,
            errorCode: p.errorCode })),
      });
    }
    this.refreshedAtMs = Date.now();
  }

  /**
   * Runs `operation` until it succeeds, a non-retriable error, or `retryTimeoutMs` (see the
   * table at the top). `_what` names the operation, for reading the call sites.
   */
  async retrying<T>(_what: string, operation: () => Promise<T>): Promise<T> {
    const deadlineMs = Date.now() + this.config.retryTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (this.isClosed || !isRetriable(error) || Date.now() >= deadlineMs) throw error;
        if (refreshes(error)) await this.refreshMetadata().catch(() => undefined);
        const backoffMs = Math.min(1_000, this.config.reconnectBackoffMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  close(): void {
    this.isClosed = true;
    for (const node of this.nodes.values()) {
      closeAll(node);
    }
  }

  /** A node named outside Metadata (FindCoordinator's answer). */
  addNode(nodeId: number, host: string, port: number): void {
    const node = this.nodes.get(nodeId);
    if (node !== undefined && node.address.host === host && node.address.port === port) return;
    if (node !== undefined) closeAll(node);
    this.nodes.set(nodeId, { address: { host, port }, connections: new Map(), failures: 0,
      nextAttemptAtMs: 0 });
  }

  /** The node's address, for errors and tests. */
  addressOf(nodeId: number): string | undefined {
    const node = this.nodes.get(nodeId);
    return node === undefined ? undefined : show(node.address);
  }
}

function closeAll(node: Node): void {
  for (const connection of node.connections.values()) {
    connection.then((c) => c.close(), () => undefined);
  }
  node.connections.clear();
}

/** Requests nobody holds: produce, metadata, admin. */
export const DEFAULT_LANE = 'default';

function isRetriable(error: unknown): boolean {
  return MambaError.is(error) && (error.retriable || error.detail?.kafkaName ===
    'UNKNOWN_TOPIC_OR_PARTITION');
}

function refreshes(error: unknown): boolean {
  return MambaError.is(error) && (error.code === 'NOT_LEADER' ||
    error.code === 'CONNECTION_FAILED' || error.code === 'TIMEOUT' ||
    error.detail?.kafkaName === 'UNKNOWN_TOPIC_OR_PARTITION');
}

function closedError(): MambaError {
  return new MambaError('BROKER_CLOSED', 'the remote broker client is closed');
}

/** A Kafka error in a response, or nothing. */
export function checkKafkaCode(code: number, what: string, message?: string | null,
  detail?: Record<string, unknown>): void {
  if (code !== 0) throw fromKafkaCode(code, what, message, detail);
}

export const UNKNOWN_TOPIC_CODE = kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION');
