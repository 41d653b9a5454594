/**
 * A member of a consumer group over Kafka's group APIs, with the `consumer` protocol type and
 * Kafka's eager `range` / `roundrobin` assignors, so that it can share a group with kafkajs,
 * librdkafka and embedded Mamba members of the same coordinator.
 *
 * Joining: FindCoordinator, JoinGroup (again with the member id when the broker asks for one,
 * MEMBER_ID_REQUIRED), then the leader computes the assignment from the members' ConsumerProtocol
 * subscriptions and the topics' partition counts and sends it in SyncGroup; every member
 * receives its own. Heartbeats every `heartbeatIntervalMs` keep the membership. When one
 * answers REBALANCE_IN_PROGRESS, every partition is revoked (eager protocol: the consumer
 * commits what was processed first) and the member joins again; UNKNOWN_MEMBER_ID or
 * ILLEGAL_GENERATION means it was expelled: partitions are lost, it joins afresh.
 *
 * Mamba's default assignor, cooperative-sticky, has no eager counterpart in Kafka's classic
 * protocol; a remote member configured with it offers `range` first (then `roundrobin`).
 */
import { MambaError } from '../errors.js';
import { ASSIGNORS, type AssignorName, type TopicPartition } from '../coordinator/index.js';
import type { OffsetEntry } from '../coordinator/index.js';
import {
  ApiKey, type FindCoordinatorResponse, type HeartbeatResponse, type JoinGroupResponse,
  type OffsetCommitResponse, type OffsetFetchResponse, type SyncGroupResponse,
} from '../protocol/index.js';
import type { BrokerConnection } from './broker-connection.js';
import type { Cluster } from './cluster.js';
import {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
} from './consumer-protocol.js';
import { fromKafkaCode, kafkaErrorName } from './kafka-error.js';

export interface RemoteMemberOptions {
  /** This member's own connection to the coordinator (a JoinGroup may be held for long). */
  lane: string;
  groupId: string;
  subscriptions: string[];
  assignor: AssignorName;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  onAssigned(partitions: TopicPartition[], member: RemoteGroupMember): Promise<void>;
  onRevoked(partitions: TopicPartition[], reason: 'rebalance' | 'lost'): Promise<void>;
}

/**
 * Protocol names and the assignor each runs. kafkajs names its round robin assignor
 * `RoundRobinAssigner` (same ConsumerProtocol bytes), so it is offered too, last, which lets a
 * remote member share a group with kafkajs members.
 */
const kafkaAssignors = {
  'range': 'range', 'roundrobin': 'round-robin', 'RoundRobinAssigner': 'round-robin',
} as const;

export class RemoteGroupMember {
  memberId = '';
  generation = -1;
  private partitions: TopicPartition[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private rejoining: Promise<void> | undefined;
  private leaving = false;

  private constructor(private readonly cluster: Cluster,
    private readonly options: RemoteMemberOptions) {}

  /** Joins and resolves once the first assignment has been applied. */
  static async join(cluster: Cluster, options: RemoteMemberOptions): Promise<RemoteGroupMember> {
    const member = new RemoteGroupMember(cluster, options);
    await member.joinAndSync();
    return member;
  }

  assigned(): TopicPartition[] {
    return [...this.partitions];
  }

  private async coordinator(): Promise<BrokerConnection> {
    const groupId = this.options.groupId;
    return this.cluster.retrying(`FindCoordinator ${groupId}`, async () => {
      const connection = await this.cluster.anyConnection();
      const response = await connection.request<FindCoordinatorResponse>(
        ApiKey.FIND_COORDINATOR, { key: groupId, keyType: 0 });
      if (response.errorCode !== 0) {
        throw fromKafkaCode(response.errorCode, `FindCoordinator ${groupId}`,
          response.errorMessage);
      }
      this.cluster.addNode(response.nodeId, response.host, response.port);
      return this.cluster.connectionTo(response.nodeId, this.options.lane);
    });
  }

  private protocols(): Array<{ name: string; metadata: Uint8Array }> {
    const metadata = encodeSubscription(this.options.subscriptions);
    const names = this.options.assignor === 'round-robin'
      ? ['roundrobin', 'range', 'RoundRobinAssigner']
      : ['range', 'roundrobin', 'RoundRobinAssigner'];
    return names.map((name) => ({ name, metadata }));
  }

  private async joinAndSync(): Promise<void> {
    this.stopHeartbeats();
    const { groupId } = this.options;
    await this.cluster.retrying(`join group ${groupId}`, async () => {
      const connection = await this.coordinator();
      const join = await this.joinGroup(connection);
      const assignments = join.leader === this.memberId ? await this.assign(join) : [];
      const sync = await connection.request<SyncGroupResponse>(ApiKey.SYNC_GROUP, {
        groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: null,
        protocolType: 'consumer', protocolName: join.protocolName, assignments,
      }, { timeoutMs: this.timeoutMs() });
      if (sync.errorCode !== 0) throw this.groupError(sync.errorCode, 'SyncGroup');
      this.partitions = decodeAssignment(sync.assignment);
    });
    this.scheduleHeartbeat();
    await this.options.onAssigned(this.assigned(), this);
  }

  private async joinGroup(connection: BrokerConnection): Promise<JoinGroupResponse> {
    const { groupId, sessionTimeoutMs, rebalanceTimeoutMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      const join = await connection.request<JoinGroupResponse>(ApiKey.JOIN_GROUP, {
        groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId,
        groupInstanceId: null, protocolType: 'consumer', protocols: this.protocols(),
        reason: null,
      }, { timeoutMs: this.timeoutMs() });
      const name = kafkaErrorName(join.errorCode);
      if (name === 'MEMBER_ID_REQUIRED' && attempt === 0) {
        this.memberId = join.memberId;
        continue;
      }
      if (name === 'UNKNOWN_MEMBER_ID') this.memberId = '';
      if (join.errorCode !== 0) throw this.groupError(join.errorCode, 'JoinGroup');
      this.memberId = join.memberId;
      this.generation = join.generationId;
      return join;
    }
  }

  /** The leader's work: who reads what, from every member's subscription. */
  private async assign(join: JoinGroupResponse):
  Promise<Array<{ memberId: string; assignment: Uint8Array }>> {
    const members = join.members.map((m) => ({
      memberId: m.memberId, subscriptions: decodeSubscription(m.metadata),
    }));
    const partitionsPerTopic = new Map<string, number>();
    await this.cluster.refreshMetadata();
    for (const topic of new Set(members.flatMap((m) => m.subscriptions))) {
      const metadata = this.cluster.cachedTopic(topic);
      if (metadata !== undefined) partitionsPerTopic.set(topic, metadata.partitions.length);
    }
    const protocol = join.protocolName as keyof typeof kafkaAssignors | null;
    const assignor = ASSIGNORS[protocol === null ? 'range' : kafkaAssignors[protocol] ?? 'range'];
    const assignment = assignor(members, partitionsPerTopic);
    return members.map((m) => ({
      memberId: m.memberId, assignment: encodeAssignment(assignment.get(m.memberId) ?? []),
    }));
  }

  private timeoutMs(): number {
    return this.options.rebalanceTimeoutMs + this.cluster.config.requestTimeoutMs;
  }

  private groupError(code: number, what: string): MambaError {
    return fromKafkaCode(code, `${what} ${this.options.groupId}`, null,
      { groupId: this.options.groupId });
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeats();
    if (this.leaving) return;
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(),
      this.options.heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private async heartbeat(): Promise<void> {
    let code = 0;
    try {
      const connection = await this.coordinator();
      const response = await connection.request<HeartbeatResponse>(ApiKey.HEARTBEAT, {
        groupId: this.options.groupId, generationId: this.generation, memberId: this.memberId,
        groupInstanceId: null,
      });
      code = response.errorCode;
    } catch {
      // A lost connection: the next heartbeat goes to a new one; the session timeout decides.
    }
    if (this.leaving) return;
    const name = kafkaErrorName(code);
    if (code === 0 || name === undefined) {
      this.scheduleHeartbeat();
      return;
    }
    const lost = name === 'UNKNOWN_MEMBER_ID' || name === 'ILLEGAL_GENERATION' ||
      name === 'FENCED_INSTANCE_ID';
    this.rejoin(lost ? 'lost' : 'rebalance');
  }

  /** Gives back every partition and joins again. */
  private rejoin(reason: 'rebalance' | 'lost'): void {
    this.rejoining ??= (async () => {
      const revoked = this.partitions;
      this.partitions = [];
      await this.options.onRevoked(revoked, reason);
      if (reason === 'lost') this.memberId = '';
      await this.joinAndSync();
    })().catch(() => this.scheduleHeartbeat()).finally(() => { this.rejoining = undefined; });
  }

  async commit(entries: readonly OffsetEntry[]): Promise<void> {
    const byTopic = new Map<string, OffsetEntry[]>();
    for (const entry of entries) byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []),
      entry]);
    const what = `commit for group ${this.options.groupId}`;
    await this.cluster.retrying(what, async () => {
      const connection = await this.coordinator();
      const response = await connection.request<OffsetCommitResponse>(ApiKey.OFFSET_COMMIT, {
        groupId: this.options.groupId, generationIdOrMemberEpoch: this.generation,
        memberId: this.memberId, groupInstanceId: null, retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, list]) => ({ name, partitions: list.map((e) => ({
          partitionIndex: e.partition, committedOffset: BigInt(e.offset),
          committedLeaderEpoch: -1, committedMetadata: e.metadata ?? null,
        })) })),
      });
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== 0) {
            throw fromKafkaCode(partition.errorCode, `${what} ${topic.name}/` +
              `${partition.partitionIndex}`);
          }
        }
      }
    });
  }

  async fetchCommitted(partitions: readonly TopicPartition[]): Promise<(number | undefined)[]> {
    return fetchCommitted(this.cluster, () => this.coordinator(), this.options.groupId,
      partitions);
  }

  /** Stops heartbeats and leaves the group (LeaveGroup), so the others rebalance at once. */
  async leave(): Promise<void> {
    this.leaving = true;
    this.stopHeartbeats();
    await this.rejoining?.catch(() => undefined);
    if (this.memberId === '') return;
    try {
      const connection = await this.coordinator();
      await connection.request(ApiKey.LEAVE_GROUP, {
        groupId: this.options.groupId, memberId: this.memberId,
        members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }],
      });
    } catch {
      // The coordinator is gone: the session timeout removes this member instead.
    }
  }
}

/** The committed offset of each partition, in order; undefined where none was committed. */
export async function fetchCommitted(cluster: Cluster,
  coordinator: () => Promise<BrokerConnection>, groupId: string,
  partitions: readonly TopicPartition[]): Promise<(number | undefined)[]> {
  const topics = new Map<string, number[]>();
  for (const tp of partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []),
    tp.partition]);
  const response = await cluster.retrying(`OffsetFetch ${groupId}`, async () => {
    const connection = await coordinator();
    const answer = await connection.request<OffsetFetchResponse>(ApiKey.OFFSET_FETCH, {
      groupId, requireStable: false,
      topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
    });
    if (answer.errorCode !== 0) throw fromKafkaCode(answer.errorCode, `OffsetFetch ${groupId}`);
    return answer;
  });
  const found = new Map<string, number>();
  for (const topic of response.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode === 0 && p.committedOffset >= 0n) {
        found.set(`${topic.name}\0${p.partitionIndex}`, Number(p.committedOffset));
      }
    }
  }
  return partitions.map((tp) => found.get(`${tp.topic}\0${tp.partition}`));
}
