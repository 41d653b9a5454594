import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ASSIGNORS, ASSIGNOR_NAMES, cooperativeRound, cooperativeStickyAssign, partitionKey,
  rangeAssign, roundRobinAssign,
} from '../../src/coordinator/assignors.js';
import type {
  Assignment, AssignorMember, TopicPartition,
} from '../../src/coordinator/assignors.js';

const topicNames = ['a', 'b', 'c', 'd'];

const groupArbitrary = fc.record({
  partitionCounts: fc.array(fc.integer({ min: 0, max: 12 }), {
    minLength: topicNames.length, maxLength: topicNames.length,
  }),
  members: fc.uniqueArray(
    fc.record({
      memberId: fc.string({ minLength: 1, maxLength: 4 }),
      subscriptions: fc.subarray(topicNames, { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 8, selector: (m) => m.memberId },
  ),
});

function partitionsOf(counts: number[]): Map<string, number> {
  return new Map(topicNames.map((t, i) => [t, counts[i]]));
}

function checkCoverage(
  members: AssignorMember[], perTopic: Map<string, number>, assignment: Assignment,
): void {
  const owner = new Map<string, string>();
  for (const [memberId, tps] of assignment) {
    const member = members.find((m) => m.memberId === memberId)!;
    for (const tp of tps) {
      expect(member.subscriptions).toContain(tp.topic);
      expect(owner.has(partitionKey(tp))).toBe(false);
      owner.set(partitionKey(tp), memberId);
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.subscriptions));
  let expected = 0;
  for (const topic of subscribed) expected += perTopic.get(topic) ?? 0;
  expect(owner.size).toBe(expected);
  expect([...assignment.keys()].sort()).toEqual(members.map((m) => m.memberId).sort());
}

function loads(assignment: Assignment): number[] {
  return [...assignment.values()].map((tps) => tps.length);
}

describe('assignors', () => {
  for (const name of ASSIGNOR_NAMES) {
    it(`${name}: every subscribed partition goes to exactly one subscriber`, () => {
      fc.assert(fc.property(groupArbitrary, ({ partitionCounts, members }) => {
        const perTopic = partitionsOf(partitionCounts);
        checkCoverage(members, perTopic, ASSIGNORS[name](members, perTopic));
      }), { numRuns: 300 });
    });
  }

  for (const name of ['round-robin', 'cooperative-sticky'] as const) {
    it(`${name}: identical subscriptions are balanced within one partition`, () => {
      fc.assert(fc.property(groupArbitrary, ({ partitionCounts, members }) => {
        const same = members.map((m) => ({ ...m, subscriptions: topicNames }));
        const l = loads(ASSIGNORS[name](same, partitionsOf(partitionCounts)));
        expect(Math.max(...l) - Math.min(...l)).toBeLessThanOrEqual(1);
      }), { numRuns: 300 });
    });
  }

  it('range: per topic, contiguous ranges in member order, extras to the first', () => {
    const members = [
      { memberId: 'm2', subscriptions: ['t'] },
      { memberId: 'm1', subscriptions: ['t', 'u'] },
      { memberId: 'm3', subscriptions: ['t'] },
    ];
    const result = rangeAssign(members, new Map([['t', 7], ['u', 2]]));
    const show = (id: string) => result.get(id)!.map((tp) => `${tp.topic}${tp.partition}`);
    expect(show('m1')).toEqual(['t0', 't1', 't2', 'u0', 'u1']);
    expect(show('m2')).toEqual(['t3', 't4']);
    expect(show('m3')).toEqual(['t5', 't6']);
  });

  it('round-robin: deals the sorted partitions to the sorted members in turn', () => {
    const members = [{ memberId: 'y', subscriptions: ['a', 'b'] },
      { memberId: 'x', subscriptions: ['a', 'b'] }];
    const result = roundRobinAssign(members, new Map([['a', 2], ['b', 1]]));
    expect(result.get('x')).toEqual([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]);
    expect(result.get('y')).toEqual([{ topic: 'a', partition: 1 }]);
  });

  it('cooperative-sticky: keeps previous owners where balance allows', () => {
    const previousArbitrary = fc.record({
      group: groupArbitrary,
      joinerCount: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(fc.property(previousArbitrary, ({ group, joinerCount }) => {
      const perTopic = partitionsOf(group.partitionCounts);
      const same = group.members.map((m) => ({ ...m, subscriptions: topicNames }));
      const first = cooperativeStickyAssign(same, perTopic);
      const joiners = Array.from({ length: joinerCount }, (_, i) => ({
        memberId: `joiner-${i}`, subscriptions: topicNames,
      }));
      // One member leaves, some join: everyone else keeps at least its fair share.
      const stay = same.slice(1).map((m) => ({ ...m, previous: first.get(m.memberId)! }));
      const next = [...stay, ...joiners];
      if (next.length === 0) return;
      const second = cooperativeStickyAssign(next, perTopic);
      checkCoverage(next, perTopic, second);
      let total = 0;
      for (const count of perTopic.values()) total += count;
      const fair = Math.floor(total / next.length);
      for (const m of stay) {
        const kept = new Set(second.get(m.memberId)!.map(partitionKey));
        const keptPrevious = m.previous.filter((tp) => kept.has(partitionKey(tp))).length;
        expect(keptPrevious).toBeGreaterThanOrEqual(Math.min(m.previous.length, fair));
      }
      // With no change at all, nothing moves.
      const again = cooperativeStickyAssign(
        next.map((m) => ({ ...m, previous: second.get(m.memberId)! })), perTopic);
      expect(again).toEqual(second);
    }), { numRuns: 300 });
  });

  it('cooperative round: moved partitions are revoked first, assigned in the next round', () => {
    const perTopic = new Map([['t', 4]]);
    const owned: Assignment = new Map([['a', cooperativeStickyAssign(
      [{ memberId: 'a', subscriptions: ['t'] }], perTopic).get('a')!]]);
    const members = [
      { memberId: 'a', subscriptions: ['t'], previous: owned.get('a')! },
      { memberId: 'b', subscriptions: ['t'] },
    ];
    const target = cooperativeStickyAssign(members, perTopic);
    const first = cooperativeRound(new Map([...owned, ['b', []]]), target);
    expect(first.followUp).toBe(true);
    expect(first.assigned.get('a')!.length).toBe(2);
    expect(first.assigned.get('b')).toEqual([]);
    expect(first.revoked.get('a')!.length).toBe(2);
    // After a revokes, nothing is owned by another member: the second round completes.
    const second = cooperativeRound(first.assigned, target);
    expect(second.followUp).toBe(false);
    expect(second.assigned).toEqual(target);
    expect([...second.revoked.values()].flat()).toEqual([]);
  });

  it('cooperative round: never two owners at once, for any owned and target', () => {
    fc.assert(fc.property(groupArbitrary, groupArbitrary, (g1, g2) => {
      const perTopic = partitionsOf(g1.partitionCounts);
      const owned = roundRobinAssign(g1.members, perTopic);
      const target = cooperativeStickyAssign(g2.members.map((m) => ({
        ...m, previous: owned.get(m.memberId) ?? [],
      })), perTopic);
      const round = cooperativeRound(owned, target);
      // What a member still holds (assigned plus not yet revoked) overlaps nobody else's.
      const holder = new Map<string, string>();
      for (const [memberId, tps] of round.assigned) {
        const held: TopicPartition[] = [...tps, ...(round.revoked.get(memberId) ?? [])];
        for (const tp of held) {
          const prior = holder.get(partitionKey(tp));
          expect(prior === undefined || prior === memberId).toBe(true);
          holder.set(partitionKey(tp), memberId);
        }
      }
    }), { numRuns: 300 });
  });
});
