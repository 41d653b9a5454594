/**
 * The member side of Kafka's classic group protocol for embedded consumers, behind the same
 * `GroupClient` interface as Mamba's own protocol, so `GroupMember` and the consumer need not
 * know which one a group speaks. A consumer with the `range` or `round-robin` assignor joins
 * this way: protocol type `consumer`, its subscription in ConsumerProtocol bytes
 * (consumer-protocol.ts), so kafkajs, librdkafka and embedded members can share one group and
 * any of them can be its leader.
 *
 * The classic protocol is eager: on a rebalance every member gives up all its partitions, then
 * rejoins. Mapped onto `MemberState`:
 * - a heartbeat answered REBALANCE_IN_PROGRESS (or ILLEGAL_GENERATION) returns a state that
 *   revokes everything the member holds; `GroupMember` stops those partitions and commits (the
 *   coordinator takes commits of the old generation until the join phase ends), then calls
 *   `acknowledgeRevocation`, which rejoins (JoinGroup, then SyncGroup) and returns the new
 *   assignment. A member that holds nothing rejoins at once, inside the heartbeat;
 * - UNKNOWN_MEMBER_ID (expelled after its session timeout) surfaces as `UNKNOWN_MEMBER`, on which
 *   `GroupMember` reports its partitions lost and joins again.
 *
 * The leader computes the assignment with Mamba's assignors (coordinator/assignors.ts), from the
 * members' decoded subscriptions and the broker's partition counts.
 */
import { MambaError } from '../../errors.js';
import { ASSIGNORS, compareTopicPartitions } from '../../coordinator/index.js';
import type {
  AssignorName, ClassicError, ClassicJoin, ClassicJoinResult, ClassicReplies, ClassicRequest,
  GroupReplyValues, GroupRequest, JoinRequest, MemberState, OffsetEntry, TopicPartition,
} from '../../coordinator/index.js';
import {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription,
} from './consumer-protocol.js';

/** Sends one request to the group registry; resolves with its value or throws its error. */
export type GroupCall = (request: GroupRequest) => Promise<unknown>;

/** Kafka's assignor names for each Mamba assignor, most preferred first. kafkajs's only
 * built-in assignor is round robin under its own name, so `round-robin` answers to both. */
const PROTOCOL_NAMES: Partial<Record<AssignorName, string[]>> = {
  'range': ['range'],
  'round-robin': ['roundrobin', 'RoundRobinAssigner'],
};

const ASSIGNOR_OF: Record<string, AssignorName> = {
  'range': 'range', 'roundrobin': 'round-robin', 'RoundRobinAssigner': 'round-robin',
};

/** How many join-and-sync rounds one rejoin may take before it gives up. */
const joinRoundsMax = 32;
const CLIENT_ID = 'mamba-embedded';

interface Session {
  groupId: string;
  memberId: string;
  generation: number;
  assigned: TopicPartition[];
  join: JoinRequest;
  /** The rejoin under way: a second caller waits for it instead of racing its JoinGroup. */
  rejoining: Promise<void> | undefined;
}

export function usesClassicProtocol(assignor: AssignorName): boolean {
  return PROTOCOL_NAMES[assignor] !== undefined;
}

export class ClassicMembers {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly call: GroupCall) {}

  owns(memberId: string): boolean {
    return this.sessions.has(memberId);
  }

  async join(groupId: string, join: JoinRequest): Promise<MemberState> {
    const session: Session = {
      groupId, memberId: '', generation: -1, assigned: [], join, rejoining: undefined,
    };
    await this.rejoin(session);
    return stateOf(session);
  }

  async heartbeat(memberId: string): Promise<MemberState> {
    const session = this.sessionOf(memberId);
    const error = await this.classic({ type: 'heartbeat', groupId: session.groupId, member: {
      memberId, instanceId: null, generation: session.generation,
    } });
    if (error === null) return stateOf(session);
    if (error !== 'REBALANCE_IN_PROGRESS' && error !== 'ILLEGAL_GENERATION') {
      this.sessions.delete(memberId);
      throw errorOf(error, session);
    }
    if (session.assigned.length > 0) {
      return { ...stateOf(session), assigned: [], revoked: [...session.assigned] };
    }
    await this.rejoin(session);
    return stateOf(session);
  }

  /** The member gave its partitions up: rejoin and take the new assignment. */
  async acknowledgeRevocation(memberId: string): Promise<MemberState> {
    const session = this.sessionOf(memberId);
    session.assigned = [];
    await this.rejoin(session);
    return stateOf(session);
  }

  async leave(memberId: string): Promise<void> {
    const session = this.sessionOf(memberId);
    this.sessions.delete(memberId);
    const [error] = await this.classic({ type: 'leave', groupId: session.groupId, members: [
      { memberId, instanceId: null },
    ] });
    if (error !== null) throw errorOf(error, session);
  }

  async commit(memberId: string, generation: number, entries: OffsetEntry[]): Promise<void> {
    const session = this.sessionOf(memberId);
    const error = await this.classic({ type: 'commit', groupId: session.groupId, entries,
      member: { memberId, instanceId: null, generation } });
    if (error !== null) throw errorOf(error, session);
  }

  private sessionOf(memberId: string): Session {
    const session = this.sessions.get(memberId);
    if (session === undefined) {
      throw new MambaError('UNKNOWN_MEMBER', `${JSON.stringify(memberId)} is not a member`);
    }
    return session;
  }

  private classic<T extends ClassicRequest['type']>(request: ClassicRequest & { type: T }):
  Promise<ClassicReplies[T]> {
    return this.call({ type: 'classic', request }) as Promise<ClassicReplies[T]>;
  }

  /**
   * One rejoin per member at a time: two JoinGroups of one member would each replace the other's
   * parked request on the coordinator, and neither would complete.
   */
  private rejoin(session: Session): Promise<void> {
    session.rejoining ??= this.joinAndSync(session).finally(() => {
      session.rejoining = undefined;
    });
    return session.rejoining;
  }

  /** JoinGroup then SyncGroup, again until one generation completes (bounded). */
  private async joinAndSync(session: Session): Promise<void> {
    for (let round = 0; round < joinRoundsMax; round++) {
      const previousId = session.memberId;
      const joined = await this.classic({ type: 'join', groupId: session.groupId,
        join: this.joinOf(session) });
      if (joined.error === 'UNKNOWN_MEMBER_ID') {
        this.forget(session, previousId);
        session.memberId = '';
        continue;
      }
      if (joined.error === 'REBALANCE_IN_PROGRESS') continue;
      if (joined.error !== null) throw errorOf(joined.error, session);
      this.forget(session, previousId);
      session.memberId = joined.memberId;
      session.generation = joined.generation;
      this.sessions.set(session.memberId, session);
      const assignments = joined.leader === joined.memberId ? await this.assign(joined) : [];
      const synced = await this.classic({ type: 'sync', groupId: session.groupId, sync: {
        memberId: session.memberId, instanceId: null, generation: session.generation,
        assignments,
      } });
      if (synced.error === 'REBALANCE_IN_PROGRESS' || synced.error === 'ILLEGAL_GENERATION') {
        continue;
      }
      if (synced.error !== null) throw errorOf(synced.error, session);
      session.assigned = decodeAssignment(synced.assignment).sort(compareTopicPartitions);
      return;
    }
    throw new MambaError('TIMEOUT', `group ${JSON.stringify(session.groupId)} did not settle ` +
      `in ${joinRoundsMax} join rounds`);
  }

  private forget(session: Session, memberId: string): void {
    if (this.sessions.get(memberId) === session) this.sessions.delete(memberId);
  }

  private joinOf(session: Session): ClassicJoin {
    const join = session.join;
    const metadata = encodeSubscription(join.subscriptions);
    return {
      memberId: session.memberId, instanceId: null, clientId: CLIENT_ID, clientHost: 'embedded',
      protocolType: 'consumer',
      protocols: PROTOCOL_NAMES[join.assignor]!.map((name) => ({ name, metadata })),
      sessionTimeoutMs: join.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: join.rebalanceTimeoutMs ?? 30_000,
    };
  }

  /** The leader's part: every member's partitions, by the chosen assignor. */
  private async assign(joined: ClassicJoinResult):
  Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const assignor = ASSIGNOR_OF[joined.protocolName ?? ''];
    if (assignor === undefined) {
      throw new MambaError('INCONSISTENT_GROUP_PROTOCOL',
        `the group chose assignor ${JSON.stringify(joined.protocolName)}, unknown here`);
    }
    const members = joined.members.map((m) => ({
      memberId: m.memberId, subscriptions: decodeSubscription(m.metadata),
    }));
    const topics = [...new Set(members.flatMap((m) => m.subscriptions))].sort();
    const counts = await this.call({ type: 'partition-counts', topics }) as
      GroupReplyValues['partition-counts'];
    const partitionsPerTopic = new Map<string, number>();
    topics.forEach((topic, i) => {
      if (counts[i] !== null) partitionsPerTopic.set(topic, counts[i]);
    });
    const assignment = ASSIGNORS[assignor](members, partitionsPerTopic);
    return members.map((m) => ({
      memberId: m.memberId, assignment: encodeAssignment(assignment.get(m.memberId) ?? []),
    }));
  }
}

function stateOf(session: Session): MemberState {
  return { memberId: session.memberId, generation: session.generation,
    assigned: [...session.assigned], revoked: [] };
}

function errorOf(error: NonNullable<ClassicError>, session: Session): MambaError {
  const where = `group ${JSON.stringify(session.groupId)}`;
  const detail = { groupId: session.groupId, memberId: session.memberId };
  switch (error) {
    case 'UNKNOWN_MEMBER_ID':
    case 'FENCED_INSTANCE_ID':
      return new MambaError('UNKNOWN_MEMBER', `${session.memberId} is not a member of ${where}`,
        { detail });
    case 'ILLEGAL_GENERATION':
      return new MambaError('ILLEGAL_GENERATION', `a new generation of ${where} began`,
        { detail });
    case 'REBALANCE_IN_PROGRESS':
      return new MambaError('REBALANCE_IN_PROGRESS', `${where} is rebalancing`, { detail });
    case 'INCONSISTENT_GROUP_PROTOCOL':
    case 'GROUP_MAX_SIZE_REACHED':
      return new MambaError(error, `${where}: ${error}`, { detail });
    case 'COORDINATOR_NOT_AVAILABLE':
      return new MambaError('BROKER_CLOSED', `${where}: the coordinator is gone`, { detail });
    default:
      return new MambaError('ILLEGAL_STATE', `${where}: ${error}`, { detail });
  }
}
