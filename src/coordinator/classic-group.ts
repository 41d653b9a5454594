/**
 * One consumer group under Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup), the protocol every Kafka client speaks: the members choose a leader's assignor
 * among the protocols they all support, the leader computes the assignment and hands it back
 * through SyncGroup, and the coordinator passes subscriptions and assignments through as opaque
 * bytes (for protocol type `consumer`, Kafka's ConsumerProtocol encoding, which network members
 * and embedded members alike use: see ../client/groups/consumer-protocol.ts).
 *
 * States, as Kafka's GroupMetadata names them:
 *
 * | state               | entered when                                  | leaves when            |
 * | ------------------- | --------------------------------------------- | ---------------------- |
 * | Empty               | no members (offsets are kept)                 | a member joins         |
 * | PreparingRebalance  | a member joins, leaves, expires, or changes   | every member rejoined, |
 * |                     | its subscription; the leader rejoins          | or the join timer fires|
 * | CompletingRebalance | the join phase ends: generation + 1, the      | the leader syncs       |
 * |                     | parked joins are answered                     |                        |
 * | Stable              | the leader's assignment is stored              | a change as above      |
 * | Dead                | the group is deleted                          | —                      |
 *
 * Parked requests: a JoinGroup waits (its promise stays pending) until the join phase ends,
 * and a follower's SyncGroup until the leader's assignment arrives. The join phase lasts at most
 * the members' largest rebalance timeout, capped at `classicJoinPhaseMsMax` so a parked answer
 * always beats a client's 30 s request timeout; members that did not rejoin by then are dropped.
 * A member with a parked request is alive: its session timer does not expire it.
 *
 * Checks on every member request, in Kafka's order: the group exists, the member is known
 * (UNKNOWN_MEMBER_ID), a static member's instance id maps to this member id
 * (FENCED_INSTANCE_ID), the generation is the current one (ILLEGAL_GENERATION), then the state
 * (REBALANCE_IN_PROGRESS). Commits are accepted from the current generation while the group
 * is Stable or PreparingRebalance (members commit before they rejoin), refused with
 * REBALANCE_IN_PROGRESS while it is CompletingRebalance, and accepted from outside any
 * generation (generation -1, empty member id) only while the group is Empty.
 *
 * Static membership (`group.instance.id`): a member that rejoins with its instance id and no
 * member id takes a new member id and fences the old one; if the group is Stable and its
 * subscription is unchanged, it gets the current generation back without a rebalance.
 */
import { randomUUID } from 'node:crypto';
import {
  classicInitialRebalanceDelayMs, classicJoinPhaseMsMax, groupMembersMax, sessionTimeoutMsMax,
  sessionTimeoutMsMin,
} from '../constants.js';
import type { KafkaErrorName } from '../protocol/index.js';
import type { Clock } from './clock.js';
import type { OffsetEntry } from './offset-store.js';

export type ClassicState =
  'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export type ClassicError = KafkaErrorName | null;

export interface ClassicProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface ClassicJoin {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  protocolType: string;
  protocols: ClassicProtocol[];
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means the session timeout. */
  rebalanceTimeoutMs: number;
}

export interface ClassicJoinResult {
  error: ClassicError;
  generation: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member's metadata for the chosen protocol. */
  members: { memberId: string; instanceId: string | null; metadata: Uint8Array }[];
  /** The leader of a Stable group rejoining statically: the assignment stands (JoinGroup v9). */
  skipAssignment: boolean;
}

export interface ClassicMemberRef {
  memberId: string;
  instanceId: string | null;
  generation: number;
}

export interface ClassicSync extends ClassicMemberRef {
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface ClassicSyncResult {
  error: ClassicError;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export interface ClassicMemberDescription {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Uint8Array;
  assignment: Uint8Array;
}

export interface ClassicDescription {
  state: ClassicState;
  protocolType: string;
  protocolName: string;
  generation: number;
  members: ClassicMemberDescription[];
}

/** What a classic group needs from the offset store. */
export interface ClassicOffsets {
  commit(groupId: string, entries: readonly OffsetEntry[]): Promise<void>;
}

interface Member {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  protocolType: string;
  protocols: ClassicProtocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  sessionDeadlineMs: number;
  assignment: Uint8Array;
  parkedJoin: ((result: ClassicJoinResult) => void) | undefined;
  parkedSync: ((result: ClassicSyncResult) => void) | undefined;
}

const noBytes: Uint8Array = new Uint8Array(0);

export class ClassicGroup {
  private stateName: ClassicState = 'Empty';
  private generationNumber = 0;
  private protocolType = '';
  private protocolName: string | null = null;
  private leaderId: string | null = null;
  private readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  /** Set while a forming group waits out its initial delay: the join phase may not end. */
  private initialDelayPending = false;
  private cancelJoinTimer: (() => void) | undefined;
  private cancelSessionTimer: (() => void) | undefined;

  constructor(readonly groupId: string, private readonly clock: Clock,
    private readonly offsets: ClassicOffsets, private readonly onEmpty: () => void) {}

  get state(): ClassicState {
    return this.stateName;
  }

  get generation(): number {
    return this.generationNumber;
  }

  memberCount(): number {
    return this.members.size;
  }

  join(request: ClassicJoin): Promise<ClassicJoinResult> {
    const refused = this.checkJoin(request);
    if (refused !== null) {
      // A group made just for this refused join is not kept.
      if (this.members.size === 0 && this.stateName === 'Empty') this.onEmpty();
      return Promise.resolve(this.joinError(request.memberId, refused));
    }
    if (request.memberId === '') {
      const previous = request.instanceId === null ? undefined :
        this.staticMembers.get(request.instanceId);
      if (previous !== undefined) return this.rejoinStatic(request, previous);
      return this.joinNew(request);
    }
    const member = this.members.get(request.memberId);
    if (member === undefined) {
      return Promise.resolve(this.joinError(request.memberId, 'UNKNOWN_MEMBER_ID'));
    }
    if (this.isFenced(request)) {
      return Promise.resolve(this.joinError(request.memberId, 'FENCED_INSTANCE_ID'));
    }
    return this.joinKnown(member, request);
  }

  sync(request: ClassicSync): Promise<ClassicSyncResult> {
    const member = this.members.get(request.memberId);
    const error = this.checkMember(request, member);
    if (error !== null || member === undefined) return Promise.resolve(this.syncAnswer(error));
    this.touch(member);
    switch (this.stateName) {
      case 'PreparingRebalance':
        return Promise.resolve(this.syncAnswer('REBALANCE_IN_PROGRESS'));
      case 'Stable':
        return Promise.resolve(this.syncAnswer(null, member.assignment));
      default:
        break;
    }
    return new Promise((resolve) => {
      member.parkedSync?.(this.syncAnswer('REBALANCE_IN_PROGRESS'));
      member.parkedSync = resolve;
      if (member.memberId === this.leaderId) this.storeAssignment(request.assignments);
    });
  }

  heartbeat(request: ClassicMemberRef): ClassicError {
    const member = this.members.get(request.memberId);
    const error = this.checkMember(request, member);
    if (error !== null || member === undefined) return error;
    this.touch(member);
    return this.stateName === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : null;
  }

  /** Removes one member (by member id, or by instance id for a static member). */
  leave(memberId: string, instanceId: string | null): ClassicError {
    let id = memberId;
    if (instanceId !== null) {
      const mapped = this.staticMembers.get(instanceId);
      if (mapped === undefined) return 'UNKNOWN_MEMBER_ID';
      if (memberId !== '' && memberId !== mapped) return 'FENCED_INSTANCE_ID';
      id = mapped;
    }
    if (!this.members.has(id)) return 'UNKNOWN_MEMBER_ID';
    this.remove([id]);
    return null;
  }

  /** Offsets from a member of the current generation, or from outside while Empty. */
  async commit(request: ClassicMemberRef, entries: readonly OffsetEntry[]):
  Promise<ClassicError> {
    if (request.generation < 0 && request.memberId === '' && this.members.size === 0) {
      await this.offsets.commit(this.groupId, entries);
      return null;
    }
    const member = this.members.get(request.memberId);
    const error = this.checkMember(request, member);
    if (error !== null || member === undefined) return error;
    if (this.stateName === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    this.touch(member);
    await this.offsets.commit(this.groupId, entries);
    return null;
  }

  /**
   * Whether a transactional offset commit (TxnOffsetCommit v3+, KIP-447) comes from a live
   * member of this generation: Kafka's checks, so a zombie's commit is refused. An empty
   * member id with generation -1 is a producer outside the group (older clients): allowed.
   */
  checkTxnCommitter(ref: ClassicMemberRef): ClassicError {
    if (this.stateName === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (this.isFenced(ref)) return 'FENCED_INSTANCE_ID';
    if (ref.memberId !== '' && !this.members.has(ref.memberId)) return 'UNKNOWN_MEMBER_ID';
    if (ref.generation >= 0 && ref.generation !== this.generationNumber) {
      return 'ILLEGAL_GENERATION';
    }
    return null;
  }

  describe(): ClassicDescription {
    const stable = this.stateName === 'Stable';
    return {
      state: this.stateName, protocolType: this.protocolType,
      protocolName: stable ? this.protocolName ?? '' : '',
      generation: this.generationNumber,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId, clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? noBytes,
        assignment: stable ? m.assignment : noBytes,
      })),
    };
  }

  /** Deleted (DeleteGroups) or the broker closes: parked requests are answered, timers end. */
  close(): void {
    const members = [...this.members.values()];
    this.members.clear();
    this.staticMembers.clear();
    this.stateName = 'Dead';
    this.cancelJoinTimer?.();
    this.cancelSessionTimer?.();
    for (const member of members) {
      member.parkedJoin?.(this.joinError(member.memberId, 'COORDINATOR_NOT_AVAILABLE'));
      member.parkedSync?.(this.syncAnswer('COORDINATOR_NOT_AVAILABLE'));
    }
  }

  private checkJoin(request: ClassicJoin): ClassicError {
    if (this.stateName === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (!Number.isInteger(request.sessionTimeoutMs) ||
      request.sessionTimeoutMs < sessionTimeoutMsMin ||
      request.sessionTimeoutMs > sessionTimeoutMsMax) {
      return 'INVALID_SESSION_TIMEOUT';
    }
    if (request.protocolType === '' || request.protocols.length === 0) {
      return 'INCONSISTENT_GROUP_PROTOCOL';
    }
    if (this.members.size === 0) return null;
    if (request.protocolType !== this.protocolType) return 'INCONSISTENT_GROUP_PROTOCOL';
    const others = [...this.members.values()].filter((m) => m.memberId !== request.memberId);
    const shared = request.protocols.some((p) =>
      others.every((m) => m.protocols.some((q) => q.name === p.name)));
    return shared ? null : 'INCONSISTENT_GROUP_PROTOCOL';
  }

  private isFenced(ref: { memberId: string; instanceId: string | null }): boolean {
    if (ref.instanceId === null) return false;
    const mapped = this.staticMembers.get(ref.instanceId);
    return mapped !== undefined && mapped !== ref.memberId;
  }

  /** The common checks of Sync, Heartbeat and Commit; null when the request may go on. */
  private checkMember(ref: ClassicMemberRef, member: Member | undefined): ClassicError {
    if (this.stateName === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (this.isFenced(ref)) return 'FENCED_INSTANCE_ID';
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (ref.generation !== this.generationNumber) return 'ILLEGAL_GENERATION';
    return null;
  }

  private joinNew(request: ClassicJoin): Promise<ClassicJoinResult> {
    if (this.members.size >= groupMembersMax) {
      return Promise.resolve(this.joinError('', 'GROUP_MAX_SIZE_REACHED'));
    }
    const member: Member = {
      memberId: `${request.clientId || 'member'}-${randomUUID()}`,
      instanceId: request.instanceId, clientId: request.clientId,
      clientHost: request.clientHost, protocolType: request.protocolType,
      protocols: request.protocols, sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutOf(request), sessionDeadlineMs: 0,
      assignment: noBytes, parkedJoin: undefined, parkedSync: undefined,
    };
    if (this.members.size === 0) this.protocolType = request.protocolType;
    this.members.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.touch(member);
    return this.park(member);
  }

  private joinKnown(member: Member, request: ClassicJoin): Promise<ClassicJoinResult> {
    const changed = !sameProtocols(member.protocols, request.protocols);
    member.protocols = request.protocols;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(request);
    this.touch(member);
    // A member that lost its join answer asks again: it gets the same generation back. In
    // Stable, the leader's rejoin asks for a new assignment (Kafka's rule): a rebalance.
    const same = !changed && (this.stateName === 'CompletingRebalance' ||
      (this.stateName === 'Stable' && member.memberId !== this.leaderId));
    if (same) {
      return Promise.resolve(this.joinAnswer(member));
    }
    return this.park(member);
  }

  private rejoinStatic(request: ClassicJoin, oldId: string): Promise<ClassicJoinResult> {
    const old = this.members.get(oldId)!;
    const member: Member = {
      ...old, memberId: `${request.clientId || 'member'}-${randomUUID()}`,
      clientId: request.clientId, clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutOf(request),
      parkedJoin: undefined, parkedSync: undefined,
    };
    old.parkedJoin?.(this.joinError(oldId, 'FENCED_INSTANCE_ID'));
    old.parkedSync?.(this.syncAnswer('FENCED_INSTANCE_ID'));
    this.members.delete(oldId);
    this.members.set(member.memberId, member);
    this.staticMembers.set(request.instanceId!, member.memberId);
    if (this.leaderId === oldId) this.leaderId = member.memberId;
    this.touch(member);
    const changed = !sameProtocols(old.protocols, request.protocols);
    member.protocols = request.protocols;
    if (this.stateName === 'Stable' && !changed) {
      const answer = this.joinAnswer(member);
      answer.skipAssignment = member.memberId === this.leaderId;
      return Promise.resolve(answer);
    }
    return this.park(member);
  }

  /** Parks the member's join and starts (or continues) a join phase. */
  private park(member: Member): Promise<ClassicJoinResult> {
    return new Promise((resolve) => {
      member.parkedJoin?.(this.joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
      member.parkedJoin = resolve;
      this.prepareRebalance();
      this.maybeCompleteJoin();
    });
  }

  private prepareRebalance(): void {
    if (this.stateName === 'PreparingRebalance') return;
    if (this.stateName === 'CompletingRebalance') {
      for (const member of this.members.values()) {
        member.parkedSync?.(this.syncAnswer('REBALANCE_IN_PROGRESS'));
        member.parkedSync = undefined;
      }
    }
    const forming = this.stateName === 'Empty';
    this.stateName = 'PreparingRebalance';
    for (const member of this.members.values()) member.assignment = noBytes;
    let phaseMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    phaseMs = Math.min(phaseMs, classicJoinPhaseMsMax);
    this.initialDelayPending = forming;
    this.cancelJoinTimer?.();
    this.cancelJoinTimer = this.clock.schedule(phaseMs, () => {
      this.cancelJoinTimer = undefined;
      this.endJoinPhase();
    });
    if (forming) {
      // The delay's end is this timer firing, not a clock reading (a timer may fire a fraction
      // of a millisecond before the clock says it is due).
      this.clock.schedule(Math.min(classicInitialRebalanceDelayMs, phaseMs), () => {
        this.initialDelayPending = false;
        this.maybeCompleteJoin();
      });
    }
  }

  private maybeCompleteJoin(): void {
    if (this.stateName !== 'PreparingRebalance') return;
    if (this.initialDelayPending) return;
    for (const member of this.members.values()) if (member.parkedJoin === undefined) return;
    this.endJoinPhase();
  }

  /** The join phase ends: members that did not rejoin are dropped, the rest get a generation. */
  private endJoinPhase(): void {
    if (this.stateName !== 'PreparingRebalance') return;
    this.cancelJoinTimer?.();
    this.cancelJoinTimer = undefined;
    const absent = [...this.members.values()].filter((m) => m.parkedJoin === undefined);
    for (const member of absent) this.forget(member.memberId);
    this.generationNumber++;
    if (this.members.size === 0) {
      this.becomeEmpty();
      return;
    }
    this.protocolName = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) {
      this.leaderId = this.members.keys().next().value!;
    }
    this.stateName = 'CompletingRebalance';
    for (const member of this.members.values()) {
      const resolve = member.parkedJoin!;
      member.parkedJoin = undefined;
      this.touch(member);
      resolve(this.joinAnswer(member));
    }
  }

  private storeAssignment(assignments: ClassicSync['assignments']): void {
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    this.stateName = 'Stable';
    for (const member of this.members.values()) {
      member.assignment = given.get(member.memberId) ?? noBytes;
      const resolve = member.parkedSync;
      member.parkedSync = undefined;
      resolve?.(this.syncAnswer(null, member.assignment));
    }
  }

  /** Kafka's vote: each member votes for its most preferred protocol that all support. */
  private selectProtocol(): string {
    const members = [...this.members.values()];
    const candidates = members[0].protocols.map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of members) {
      const choice = member.protocols.find((p) => votes.has(p.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    let best = candidates[0];
    for (const name of candidates) if (votes.get(name)! > votes.get(best)!) best = name;
    return best;
  }

  private remove(memberIds: readonly string[]): void {
    for (const id of memberIds) this.forget(id);
    if (this.stateName === 'Stable' || this.stateName === 'CompletingRebalance') {
      this.prepareRebalance();
    }
    this.maybeCompleteJoin();
    this.scheduleSessionExpiry();
  }

  private forget(memberId: string): void {
    const member = this.members.get(memberId);
    if (member === undefined) return;
    this.members.delete(memberId);
    if (member.instanceId !== null && this.staticMembers.get(member.instanceId) === memberId) {
      this.staticMembers.delete(member.instanceId);
    }
    member.parkedJoin?.(this.joinError(memberId, 'UNKNOWN_MEMBER_ID'));
    member.parkedSync?.(this.syncAnswer('UNKNOWN_MEMBER_ID'));
    if (this.leaderId === memberId) this.leaderId = null;
  }

  private becomeEmpty(): void {
    this.stateName = 'Empty';
    this.protocolName = null;
    this.leaderId = null;
    this.cancelJoinTimer?.();
    this.cancelSessionTimer?.();
    this.onEmpty();
  }

  private touch(member: Member): void {
    member.sessionDeadlineMs = this.clock.nowMs() + member.sessionTimeoutMs;
    this.scheduleSessionExpiry();
  }

  /** One timer at the earliest session deadline. */
  private scheduleSessionExpiry(): void {
    this.cancelSessionTimer?.();
    this.cancelSessionTimer = undefined;
    let earliestMs = Infinity;
    for (const member of this.members.values()) {
      earliestMs = Math.min(earliestMs, member.sessionDeadlineMs);
    }
    if (earliestMs === Infinity) return;
    this.cancelSessionTimer = this.clock.schedule(
      Math.max(0, earliestMs - this.clock.nowMs()), () => {
        this.cancelSessionTimer = undefined;
        this.expireSessions();
      });
  }

  private expireSessions(): void {
    const nowMs = this.clock.nowMs();
    for (const member of this.members.values()) {
      // A member waiting in a parked request is alive: the wait is the coordinator's doing.
      if (member.parkedJoin !== undefined || member.parkedSync !== undefined) this.touch(member);
    }
    const expired = [...this.members.values()].filter((m) => m.sessionDeadlineMs <= nowMs);
    if (expired.length > 0) this.remove(expired.map((m) => m.memberId));
    else this.scheduleSessionExpiry();
  }

  private joinAnswer(member: Member): ClassicJoinResult {
    const isLeader = member.memberId === this.leaderId;
    return {
      error: null, generation: this.generationNumber, protocolType: this.protocolType,
      protocolName: this.protocolName, leader: this.leaderId ?? '', memberId: member.memberId,
      skipAssignment: false,
      members: isLeader ? [...this.members.values()].map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId,
        metadata: m.protocols.find((p) => p.name === this.protocolName)!.metadata,
      })) : [],
    };
  }

  private joinError(memberId: string, error: ClassicError): ClassicJoinResult {
    return {
      error, generation: -1, protocolType: null, protocolName: null, leader: '', memberId,
      members: [], skipAssignment: false,
    };
  }

  private syncAnswer(error: ClassicError, assignment: Uint8Array = noBytes): ClassicSyncResult {
    return {
      error, protocolType: error === null ? this.protocolType : null,
      protocolName: error === null ? this.protocolName : null, assignment,
    };
  }
}

function rebalanceTimeoutOf(request: ClassicJoin): number {
  return request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
}

function sameProtocols(a: readonly ClassicProtocol[], b: readonly ClassicProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name &&
    Buffer.compare(p.metadata, b[i].metadata) === 0);
}
