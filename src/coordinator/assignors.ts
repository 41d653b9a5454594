/**
 * Partition assignors: pure functions from a group's members and the partition counts of the
 * topics they subscribe to, to the partitions each member owns.
 *
 * Every assignor guarantees (and the property tests check):
 * - every partition of every subscribed topic goes to exactly one member that subscribes to it;
 * - no member gets a partition of a topic it does not subscribe to;
 * - the result depends only on the input (members are sorted by id, never taken in join order),
 *   so a re-run after a restart gives the same answer.
 *
 * - `range` (Kafka's RangeAssignor): per topic, partitions are cut into contiguous ranges, in
 *   member-id order; the first `partitions % members` members get one more. Co-partitioned
 *   topics land on the same member, but with many topics the first members carry more.
 * - `round-robin` (Kafka's RoundRobinAssignor): all subscribed topic-partitions, sorted, dealt
 *   in turn to the sorted members, skipping members that do not subscribe to the topic.
 *   Balanced within one partition when subscriptions are identical.
 * - `cooperative-sticky` (Kafka's CooperativeStickyAssignor): keeps each member's previous
 *   partitions where balance allows, hands out the free ones to the least loaded members, then
 *   moves partitions from the most to the least loaded member until no two members that could
 *   trade differ by more than one. `cooperativeRound` splits the move into the two phases of
 *   the cooperative protocol: a partition that changes owner is first revoked from its old
 *   owner, and only assigned to the new one in a following round.
 */
import { assert } from '../assert.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface AssignorMember {
  memberId: string;
  subscriptions: readonly string[];
  /** The partitions this member owned before this round; only the sticky assignor reads it. */
  previous?: readonly TopicPartition[];
}

/** memberId → the partitions that member owns, sorted by topic then partition. */
export type Assignment = Map<string, TopicPartition[]>;

export type Assignor = (
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
) => Assignment;

export const ASSIGNOR_NAMES = ['range', 'round-robin', 'cooperative-sticky'] as const;
export type AssignorName = (typeof ASSIGNOR_NAMES)[number];

export function isAssignorName(value: unknown): value is AssignorName {
  return typeof value === 'string' && (ASSIGNOR_NAMES as readonly string[]).includes(value);
}

/** A stable string key for a topic-partition (topic names cannot contain NUL). */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
  for (let i = 1; i < sorted.length; i++) {
    assert(sorted[i - 1].memberId !== sorted[i].memberId, 'member ids are unique');
  }
  return sorted;
}

function emptyAssignment(members: readonly AssignorMember[]): Assignment {
  const assignment: Assignment = new Map();
  for (const member of members) assignment.set(member.memberId, []);
  return assignment;
}

/** The topic-partitions of every topic some member subscribes to and that exists, sorted. */
function subscribedPartitions(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): TopicPartition[] {
  const topics = new Set<string>();
  for (const member of members) for (const topic of member.subscriptions) topics.add(topic);
  const result: TopicPartition[] = [];
  for (const topic of [...topics].sort(compareStrings)) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) result.push({ topic, partition });
  }
  return result;
}

export const rangeAssign: Assignor = (members, partitionsPerTopic) => {
  const sorted = sortedMembers(members);
  const assignment = emptyAssignment(sorted);
  const topics = [...new Set(sorted.flatMap((m) => m.subscriptions))].sort(compareStrings);
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    const subscribers = sorted.filter((m) => m.subscriptions.includes(topic));
    if (count === 0 || subscribers.length === 0) continue;
    const perMember = Math.floor(count / subscribers.length);
    const withExtra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((member, index) => {
      const take = perMember + (index < withExtra ? 1 : 0);
      const owned = assignment.get(member.memberId)!;
      for (let i = 0; i < take; i++) owned.push({ topic, partition: next + i });
      next += take;
    });
    assert(next === count, 'range covers every partition');
  }
  return assignment;
};

export const roundRobinAssign: Assignor = (members, partitionsPerTopic) => {
  const sorted = sortedMembers(members);
  const assignment = emptyAssignment(sorted);
  if (sorted.length === 0) return assignment;
  let cursor = 0;
  for (const tp of subscribedPartitions(sorted, partitionsPerTopic)) {
    // Some member subscribes to tp.topic (that is how it got into the list), so this ends.
    while (!sorted[cursor % sorted.length].subscriptions.includes(tp.topic)) cursor++;
    assignment.get(sorted[cursor % sorted.length].memberId)!.push(tp);
    cursor++;
  }
  return assignment;
};

interface StickyState {
  members: AssignorMember[];
  subscribed: Map<string, Set<string>>;
  owned: Map<string, Map<string, TopicPartition>>;
}

export const cooperativeStickyAssign: Assignor = (members, partitionsPerTopic) => {
  const sorted = sortedMembers(members);
  const state: StickyState = { members: sorted, subscribed: new Map(), owned: new Map() };
  for (const m of sorted) {
    state.subscribed.set(m.memberId, new Set(m.subscriptions));
    state.owned.set(m.memberId, new Map());
  }
  const all = subscribedPartitions(sorted, partitionsPerTopic);
  const existing = new Set(all.map(partitionKey));
  keepPrevious(state, existing);
  const taken = new Set<string>();
  for (const owned of state.owned.values()) for (const key of owned.keys()) taken.add(key);
  for (const tp of all) {
    if (taken.has(partitionKey(tp))) continue;
    const target = leastLoaded(state, tp.topic);
    assert(target !== undefined, 'a subscribed partition has a subscriber');
    state.owned.get(target)!.set(partitionKey(tp), tp);
  }
  rebalance(state, all.length);
  const assignment: Assignment = new Map();
  for (const m of sorted) {
    const owned = [...state.owned.get(m.memberId)!.values()].sort(compareTopicPartitions);
    assignment.set(m.memberId, owned);
  }
  return assignment;
};

/**
 * Each member keeps the previous partitions that still exist and that it still subscribes to.
 * A partition claimed by two members (possible after a missed revocation) goes to the first by
 * member id; the other loses it.
 */
function keepPrevious(state: StickyState, existing: Set<string>): void {
  const claimed = new Set<string>();
  for (const m of state.members) {
    const owned = state.owned.get(m.memberId)!;
    const subscribed = state.subscribed.get(m.memberId)!;
    for (const tp of m.previous ?? []) {
      const key = partitionKey(tp);
      if (!existing.has(key) || !subscribed.has(tp.topic)) continue;
      if (claimed.has(key)) continue;
      claimed.add(key);
      owned.set(key, tp);
    }
  }
}

function leastLoaded(state: StickyState, topic: string): string | undefined {
  let best: string | undefined;
  for (const m of state.members) {
    if (!state.subscribed.get(m.memberId)!.has(topic)) continue;
    if (best === undefined || state.owned.get(m.memberId)!.size < state.owned.get(best)!.size) {
      best = m.memberId;
    }
  }
  return best;
}

/**
 * Moves one partition at a time from a most loaded member to a member with at least two fewer
 * that may take it, until no such pair is left. Each move lowers the sum of squared loads, so
 * the loop ends; the bound on iterations is an assertion of that, not a tuning knob.
 */
function rebalance(state: StickyState, partitionCount: number): void {
  const movesMax = partitionCount * Math.max(1, state.members.length) + 1;
  for (let moves = 0; ; moves++) {
    assert(moves <= movesMax, 'sticky rebalance converges');
    if (!moveOne(state)) return;
  }
}

function moveOne(state: StickyState): boolean {
  const bySize = [...state.members].sort((a, b) =>
    state.owned.get(b.memberId)!.size - state.owned.get(a.memberId)!.size
    || compareStrings(a.memberId, b.memberId));
  for (const from of bySize) {
    const fromOwned = state.owned.get(from.memberId)!;
    for (let j = bySize.length - 1; j >= 0; j--) {
      const to = bySize[j];
      const toOwned = state.owned.get(to.memberId)!;
      if (fromOwned.size - toOwned.size < 2) break;
      const toSubscribed = state.subscribed.get(to.memberId)!;
      // Take the highest partition first so that low partitions stay where they were.
      const movable = [...fromOwned.values()]
        .filter((tp) => toSubscribed.has(tp.topic))
        .sort(compareTopicPartitions)
        .pop();
      if (movable === undefined) continue;
      fromOwned.delete(partitionKey(movable));
      toOwned.set(partitionKey(movable), movable);
      return true;
    }
  }
  return false;
}

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = {
  'range': rangeAssign,
  'round-robin': roundRobinAssign,
  'cooperative-sticky': cooperativeStickyAssign,
};

/** One round of the cooperative protocol, computed from who owns what and the target. */
export interface CooperativeRound {
  /** memberId → what it owns after this round: its target minus what others still hold. */
  assigned: Assignment;
  /** memberId → what it must give up before those partitions go to their new owner. */
  revoked: Assignment;
  /** Whether another round is needed once the revocations are acknowledged. */
  followUp: boolean;
}

/**
 * Splits a move from `owned` to `target` into its first phase. A partition that keeps its owner
 * stays assigned; a partition that nobody owns is assigned at once; a partition owned by
 * another member is revoked from that member now and withheld from its new owner until a
 * following round, so no partition ever has two owners at the same time.
 */
export function cooperativeRound(owned: Assignment, target: Assignment): CooperativeRound {
  const ownerOf = new Map<string, string>();
  for (const [memberId, partitions] of owned) {
    for (const tp of partitions) ownerOf.set(partitionKey(tp), memberId);
  }
  const assigned: Assignment = new Map();
  const revoked: Assignment = new Map();
  let followUp = false;
  for (const [memberId, partitions] of target) {
    const now: TopicPartition[] = [];
    for (const tp of partitions) {
      const owner = ownerOf.get(partitionKey(tp));
      if (owner === undefined || owner === memberId || !target.has(owner)) now.push(tp);
      else followUp = true;
    }
    assigned.set(memberId, now);
  }
  for (const [memberId, partitions] of owned) {
    if (!target.has(memberId)) continue;
    const keep = new Set(target.get(memberId)!.map(partitionKey));
    revoked.set(memberId, partitions.filter((tp) => !keep.has(partitionKey(tp))));
  }
  for (const memberId of target.keys()) if (!revoked.has(memberId)) revoked.set(memberId, []);
  return { assigned, revoked, followUp };
}
