/**
 * The coordinator of one consumer group. It lives on the broker's main thread; members reach it
 * directly (same thread) or through group-port.ts (other threads).
 *
 * Membership: a member joins with its subscriptions and assignor, heartbeats on its own timer
 * (never from its processing loop, so a slow handler does not look like a dead member), and
 * leaves. A member silent for `sessionTimeoutMs` is expelled. Every change of membership or of
 * the subscribed topics' partition counts starts a new generation and a new assignment.
 *
 * Handover (the cooperative protocol, for every assignor): a partition that moves is first
 * revoked from its holder, which stops processing it, commits, and acknowledges; only then is
 * it assigned to its new owner, in a follow-up generation. A partition therefore never has two
 * holders. A holder that does not acknowledge within `rebalanceTimeoutMs` is expelled, which
 * frees what it held. Kafka's eager protocol revokes everything instead, because its
 * coordinator cannot know who holds what; this one knows, so only moved partitions pause.
 *
 * Fencing: a commit is accepted only from a live member that holds the partition (assigned or
 * awaiting revocation), with a generation no older than the one in which it acquired it and no
 * newer than the current one. A zombie (expelled, or an older incarnation of a rejoined member)
 * is refused with `UNKNOWN_MEMBER`, `PARTITION_NOT_OWNED` or `ILLEGAL_GENERATION`.
 *
 * Invariants (asserted after every change):
 * 1. No partition is held (assigned or awaiting revocation) by two members.
 * 2. A member's assigned and revoked sets are disjoint.
 * 3. Every held partition belongs to a topic the holder subscribes to, or is being revoked.
 */
import { assert } from '../assert.js';
import {
  groupMembersMax, rebalanceTimeoutMsDefault, sessionTimeoutMsDefault, sessionTimeoutMsMax,
  sessionTimeoutMsMin,
} from '../constants.js';
import { MambaError, closed, invalidConfig, unknownTopic } from '../errors.js';
import { checkGroupId } from './offset-store.js';
import type { OffsetEntry } from './offset-store.js';
import {
  ASSIGNORS, compareTopicPartitions, cooperativeRound, isAssignorName, partitionKey,
} from './assignors.js';
import type { Assignment, AssignorName, TopicPartition } from './assignors.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';

export interface JoinRequest {
  /** The id a member got from an earlier join; omitted, a new id is given. */
  memberId?: string;
  subscriptions: readonly string[];
  assignor: AssignorName;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
}

/** What a member must know about itself; `assigned` is the full set, not a delta. */
export interface MemberState {
  memberId: string;
  generation: number;
  /** Every partition the member owns now and may process. */
  assigned: TopicPartition[];
  /** Partitions to stop processing, commit, then acknowledge with `acknowledgeRevocation`. */
  revoked: TopicPartition[];
}

export type MemberListener = (state: MemberState) => void;

/** The part of the offset store a coordinator needs. */
export interface OffsetCommitter {
  commit(groupId: string, entries: readonly OffsetEntry[]): Promise<void>;
  committed(groupId: string, topic: string, partition: number): number | undefined;
}

export interface GroupCoordinatorOptions {
  groupId: string;
  offsets: OffsetCommitter;
  /** A topic's partition count, or undefined for a topic that does not exist. */
  partitionCount: (topic: string) => number | undefined;
  clock?: Clock;
  /** Called when the last member leaves or is expelled. */
  onEmpty?: () => void;
}

export interface GroupDescription {
  groupId: string;
  generation: number;
  assignor: AssignorName | undefined;
  members: { memberId: string; subscriptions: string[]; assigned: TopicPartition[];
    revoked: TopicPartition[] }[];
}

interface Member {
  memberId: string;
  subscriptions: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  sessionDeadlineMs: number;
  /** Set while the member holds revoked partitions it has not acknowledged. */
  revocationDeadlineMs: number | undefined;
  assigned: TopicPartition[];
  revoked: TopicPartition[];
  /** partitionKey → the generation in which this member acquired the partition. */
  acquiredGeneration: Map<string, number>;
  /** partitionKey → the generation that first told this member to revoke the partition. */
  revokedGeneration: Map<string, number>;
  listeners: Set<MemberListener>;
}

export class GroupCoordinator {
  readonly groupId: string;
  private readonly clock: Clock;
  private readonly members = new Map<string, Member>();
  private assignor: AssignorName | undefined;
  private generationNumber = 0;
  private followUpPending = false;
  private partitionCounts = new Map<string, number>();
  private cancelTimer: (() => void) | undefined;
  private memberSequence = 0;
  private isClosed = false;

  constructor(private readonly options: GroupCoordinatorOptions) {
    checkGroupId(options.groupId);
    this.groupId = options.groupId;
    this.clock = options.clock ?? systemClock;
  }

  get generation(): number {
    return this.generationNumber;
  }

  memberCount(): number {
    return this.members.size;
  }

  /** Joins a new member, or updates one that rejoins with its id; returns its state. */
  join(request: JoinRequest): MemberState {
    this.checkOpen();
    const checked = this.checkJoin(request);
    const existing = request.memberId === undefined
      ? undefined : this.members.get(request.memberId);
    const nowMs = this.clock.nowMs();
    if (existing !== undefined) {
      existing.sessionTimeoutMs = checked.sessionTimeoutMs;
      existing.rebalanceTimeoutMs = checked.rebalanceTimeoutMs;
      existing.sessionDeadlineMs = nowMs + checked.sessionTimeoutMs;
      if (!sameTopics(existing.subscriptions, checked.subscriptions)) {
        existing.subscriptions = checked.subscriptions;
        this.rebalance();
      }
      this.scheduleDeadlines();
      return this.stateOf(existing);
    }
    if (this.members.size >= groupMembersMax) {
      throw new MambaError('GROUP_MAX_SIZE_REACHED',
        `group ${JSON.stringify(this.groupId)} has ${groupMembersMax} members already`);
    }
    const memberId = request.memberId ?? this.newMemberId();
    if (this.members.size === 0) this.assignor = request.assignor;
    const member: Member = {
      memberId, subscriptions: checked.subscriptions,
      sessionTimeoutMs: checked.sessionTimeoutMs, rebalanceTimeoutMs: checked.rebalanceTimeoutMs,
      sessionDeadlineMs: nowMs + checked.sessionTimeoutMs, revocationDeadlineMs: undefined,
      assigned: [], revoked: [], acquiredGeneration: new Map(), revokedGeneration: new Map(),
      listeners: new Set(),
    };
    this.members.set(memberId, member);
    this.rebalance();
    return this.stateOf(member);
  }

  /** Keeps a member's session alive; returns its state (which may announce a rebalance). */
  heartbeat(memberId: string): MemberState {
    this.checkOpen();
    const member = this.memberOf(memberId);
    member.sessionDeadlineMs = this.clock.nowMs() + member.sessionTimeoutMs;
    this.scheduleDeadlines();
    return this.stateOf(member);
  }

  /**
   * The member has stopped processing its revoked partitions (and committed what it had done):
   * they are released and, if they have a new owner waiting, a follow-up generation assigns
   * them. An acknowledgement releases only the revocations announced in `generation` or
   * before, never one the member has not seen yet.
   */
  acknowledgeRevocation(memberId: string, generation: number): MemberState {
    this.checkOpen();
    const member = this.memberOf(memberId);
    this.checkGeneration(generation);
    const released = member.revoked.filter(
      (tp) => member.revokedGeneration.get(partitionKey(tp))! <= generation);
    if (released.length > 0) {
      for (const tp of released) {
        member.acquiredGeneration.delete(partitionKey(tp));
        member.revokedGeneration.delete(partitionKey(tp));
      }
      member.revoked = member.revoked.filter(
        (tp) => member.revokedGeneration.has(partitionKey(tp)));
      if (member.revoked.length === 0) member.revocationDeadlineMs = undefined;
      member.sessionDeadlineMs = this.clock.nowMs() + member.sessionTimeoutMs;
      if (this.followUpPending) this.rebalance();
      else this.scheduleDeadlines();
    }
    return this.stateOf(member);
  }

  leave(memberId: string): void {
    this.checkOpen();
    this.memberOf(memberId);
    this.remove([memberId]);
  }

  /** Commits offsets (the next record to read) for partitions the member holds. */
  async commit(memberId: string, generation: number, entries: readonly OffsetEntry[]):
  Promise<void> {
    this.checkOpen();
    const member = this.memberOf(memberId);
    this.checkGeneration(generation);
    for (const entry of entries) {
      const acquired = member.acquiredGeneration.get(partitionKey(entry));
      if (acquired === undefined) {
        throw new MambaError('PARTITION_NOT_OWNED',
          `member ${memberId} does not hold ${entry.topic}/${entry.partition}`,
          { detail: { groupId: this.groupId, memberId, topic: entry.topic,
            partition: entry.partition } });
      }
      if (generation < acquired) throw this.illegalGeneration(generation);
    }
    await this.options.offsets.commit(this.groupId, entries);
  }

  committed(topic: string, partition: number): number | undefined {
    return this.options.offsets.committed(this.groupId, topic, partition);
  }

  /** The member's current state, or undefined if it is not (or no longer) a member. */
  state(memberId: string): MemberState | undefined {
    const member = this.members.get(memberId);
    return member === undefined ? undefined : this.stateOf(member);
  }

  /** Calls `listener` with the member's state after each change of generation. */
  onChange(memberId: string, listener: MemberListener): () => void {
    const member = this.memberOf(memberId);
    member.listeners.add(listener);
    return () => member.listeners.delete(listener);
  }

  /** Topics were created, deleted or grew partitions: rebalance if a subscribed one changed. */
  topicsChanged(): void {
    if (this.isClosed || this.members.size === 0) return;
    const counts = this.currentPartitionCounts();
    if (!sameCounts(counts, this.partitionCounts)) this.rebalance();
  }

  describe(): GroupDescription {
    return {
      groupId: this.groupId, generation: this.generationNumber, assignor: this.assignor,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId, subscriptions: [...m.subscriptions],
        assigned: [...m.assigned], revoked: [...m.revoked],
      })),
    };
  }

  close(): void {
    this.isClosed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const member of this.members.values()) member.listeners.clear();
    this.members.clear();
  }

  private checkOpen(): void {
    if (this.isClosed) throw closed('BROKER_CLOSED', `group ${this.groupId}`);
  }

  private checkJoin(request: JoinRequest):
  { subscriptions: string[]; sessionTimeoutMs: number; rebalanceTimeoutMs: number } {
    if (!isAssignorName(request.assignor)) {
      throw invalidConfig('assignor', request.assignor, 'range, round-robin or cooperative-sticky');
    }
    const assignor = this.members.size > 0 ? this.assignor : undefined;
    if (assignor !== undefined && request.assignor !== assignor) {
      throw new MambaError('INCONSISTENT_GROUP_PROTOCOL',
        `group ${JSON.stringify(this.groupId)} uses ${this.assignor}, not ${request.assignor}`);
    }
    if (!Array.isArray(request.subscriptions) || request.subscriptions.length === 0) {
      throw invalidConfig('subscriptions', request.subscriptions, 'a non-empty array of topics');
    }
    for (const topic of request.subscriptions) {
      if (this.options.partitionCount(topic) === undefined) throw unknownTopic(topic);
    }
    const sessionTimeoutMs = request.sessionTimeoutMs ?? sessionTimeoutMsDefault;
    const rebalanceTimeoutMs = request.rebalanceTimeoutMs ?? rebalanceTimeoutMsDefault;
    checkTimeout('sessionTimeoutMs', sessionTimeoutMs);
    checkTimeout('rebalanceTimeoutMs', rebalanceTimeoutMs);
    return { subscriptions: [...new Set(request.subscriptions)].sort(), sessionTimeoutMs,
      rebalanceTimeoutMs };
  }

  private checkGeneration(generation: number): void {
    if (!Number.isInteger(generation) || generation > this.generationNumber || generation < 1) {
      throw this.illegalGeneration(generation);
    }
  }

  private illegalGeneration(generation: number): MambaError {
    return new MambaError('ILLEGAL_GENERATION',
      `generation ${generation} is not valid for this request in group `
      + `${JSON.stringify(this.groupId)} (now ${this.generationNumber})`,
      { detail: { groupId: this.groupId, generation, current: this.generationNumber } });
  }

  private memberOf(memberId: string): Member {
    const member = this.members.get(memberId);
    if (member === undefined) {
      throw new MambaError('UNKNOWN_MEMBER',
        `${JSON.stringify(memberId)} is not a member of group ${JSON.stringify(this.groupId)}`,
        { detail: { groupId: this.groupId, memberId } });
    }
    return member;
  }

  private newMemberId(): string {
    for (;;) {
      const suffix = Math.random().toString(36).slice(2, 8);
      const id = `${this.groupId}-${++this.memberSequence}-${suffix}`;
      if (!this.members.has(id)) return id;
    }
  }

  private remove(memberIds: readonly string[]): void {
    for (const id of memberIds) {
      this.members.get(id)?.listeners.clear();
      this.members.delete(id);
    }
    if (this.members.size === 0) {
      this.generationNumber++;
      this.followUpPending = false;
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      this.options.onEmpty?.();
      return;
    }
    this.rebalance();
  }

  private currentPartitionCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const member of this.members.values()) {
      for (const topic of member.subscriptions) {
        counts.set(topic, this.options.partitionCount(topic) ?? 0);
      }
    }
    return counts;
  }

  /** Starts a generation: computes the target and its first (or next) cooperative round. */
  private rebalance(): void {
    assert(this.assignor !== undefined, 'a group with members has an assignor');
    this.generationNumber++;
    this.partitionCounts = this.currentPartitionCounts();
    const members = [...this.members.values()];
    const target = ASSIGNORS[this.assignor](members.map((m) => ({
      memberId: m.memberId, subscriptions: m.subscriptions, previous: m.assigned,
    })), this.partitionCounts);
    const holding: Assignment = new Map(
      members.map((m) => [m.memberId, [...m.assigned, ...m.revoked]]));
    const round = cooperativeRound(holding, target);
    const nowMs = this.clock.nowMs();
    for (const member of members) {
      member.assigned = round.assigned.get(member.memberId)!.sort(compareTopicPartitions);
      member.revoked = round.revoked.get(member.memberId)!.sort(compareTopicPartitions);
      for (const tp of member.assigned) {
        const key = partitionKey(tp);
        if (!member.acquiredGeneration.has(key)) {
          member.acquiredGeneration.set(key, this.generationNumber);
        }
      }
      const revokedKeys = new Set(member.revoked.map(partitionKey));
      for (const key of member.revokedGeneration.keys()) {
        if (!revokedKeys.has(key)) member.revokedGeneration.delete(key);
      }
      for (const key of revokedKeys) {
        if (!member.revokedGeneration.has(key)) {
          member.revokedGeneration.set(key, this.generationNumber);
        }
      }
      if (member.revoked.length === 0) member.revocationDeadlineMs = undefined;
      else member.revocationDeadlineMs ??= nowMs + member.rebalanceTimeoutMs;
    }
    this.followUpPending = round.followUp;
    this.checkInvariants();
    this.scheduleDeadlines();
    for (const member of members) this.notify(member);
  }

  private checkInvariants(): void {
    const holder = new Map<string, string>();
    for (const member of this.members.values()) {
      const assigned = new Set(member.assigned.map(partitionKey));
      for (const tp of member.revoked) {
        assert(!assigned.has(partitionKey(tp)), 'assigned and revoked are disjoint');
      }
      for (const tp of [...member.assigned, ...member.revoked]) {
        const key = partitionKey(tp);
        assert(!holder.has(key), `partition ${tp.topic}/${tp.partition} has one holder`);
        holder.set(key, member.memberId);
        assert(member.acquiredGeneration.has(key), 'a held partition has its generation');
      }
      for (const tp of member.assigned) {
        assert(member.subscriptions.includes(tp.topic), 'an assigned partition is subscribed');
      }
    }
  }

  private notify(member: Member): void {
    const state = this.stateOf(member);
    for (const listener of [...member.listeners]) listener(state);
  }

  private stateOf(member: Member): MemberState {
    return { memberId: member.memberId, generation: this.generationNumber,
      assigned: [...member.assigned], revoked: [...member.revoked] };
  }

  /** Arms one timer at the earliest session or revocation deadline. */
  private scheduleDeadlines(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    let earliestMs = Infinity;
    for (const member of this.members.values()) {
      earliestMs = Math.min(earliestMs, member.sessionDeadlineMs,
        member.revocationDeadlineMs ?? Infinity);
    }
    if (earliestMs === Infinity) return;
    const delayMs = Math.max(0, earliestMs - this.clock.nowMs());
    this.cancelTimer = this.clock.schedule(delayMs, () => {
      this.cancelTimer = undefined;
      this.expire();
    });
  }

  private expire(): void {
    if (this.isClosed) return;
    const nowMs = this.clock.nowMs();
    const expired = [...this.members.values()].filter((m) => m.sessionDeadlineMs <= nowMs
      || (m.revocationDeadlineMs !== undefined && m.revocationDeadlineMs <= nowMs));
    if (expired.length > 0) this.remove(expired.map((m) => m.memberId));
    else this.scheduleDeadlines();
  }
}

function checkTimeout(option: string, valueMs: number): void {
  if (!Number.isInteger(valueMs) || valueMs < sessionTimeoutMsMin
    || valueMs > sessionTimeoutMsMax) {
    throw invalidConfig(option, valueMs,
      `an integer from ${sessionTimeoutMsMin} to ${sessionTimeoutMsMax} (ms)`);
  }
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((topic, i) => topic === b[i]);
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, count] of a) if (b.get(topic) !== count) return false;
  return true;
}
