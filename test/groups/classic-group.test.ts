/**
 * The classic group's timers with a manual clock: a forming group waits its initial delay, a
 * join phase ends at its timer and drops members that did not rejoin, a silent member is
 * expelled at its session timeout while a member waiting in a parked request is not, and the
 * last member's departure leaves the group Empty with its offsets kept.
 */
import { expect, it } from 'vitest';
import { ClassicGroup, ManualClock } from '../../src/coordinator/index.js';
import type { ClassicJoin, ClassicJoinResult, OffsetEntry } from '../../src/coordinator/index.js';
import { classicInitialRebalanceDelayMs } from '../../src/constants.js';

function setup() {
  const clock = new ManualClock();
  const commits: OffsetEntry[][] = [];
  let emptied = 0;
  const group = new ClassicGroup('g', clock, {
    commit: async (_groupId, entries) => { commits.push([...entries]); },
  }, () => { emptied++; });
  return { clock, group, commits, emptied: () => emptied };
}

const joinOf = (memberId = '', sessionTimeoutMs = 1_000): ClassicJoin => ({
  memberId, instanceId: null, clientId: 'c', clientHost: 'h', protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: new Uint8Array([1]) }], sessionTimeoutMs,
  rebalanceTimeoutMs: 5_000,
});

/** Settles the microtasks of answered promises. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

it('waits its initial delay, then answers each parked join with generation 1', async () => {
  const { clock, group } = setup();
  const answers: ClassicJoinResult[] = [];
  void group.join(joinOf()).then((r) => answers.push(r));
  void group.join(joinOf()).then((r) => answers.push(r));
  clock.advance(classicInitialRebalanceDelayMs - 1);
  await settle();
  expect(answers).toHaveLength(0);
  clock.advance(1);
  await settle();
  expect(answers.map((a) => a.generation)).toEqual([1, 1]);
  expect(group.state).toBe('CompletingRebalance');
  expect(answers.filter((a) => a.members.length === 2)).toHaveLength(1);
});

it('ends a join phase at its timer, dropping a member that did not rejoin', async () => {
  const { clock, group } = setup();
  const a = group.join(joinOf('', 60_000));
  const b = group.join(joinOf('', 60_000));
  clock.advance(classicInitialRebalanceDelayMs);
  const [first, second] = await Promise.all([a, b]);
  const leader = first.leader === first.memberId ? first : second;
  await group.sync({ memberId: leader.memberId, instanceId: null, generation: 1,
    assignments: [] });
  expect(group.state).toBe('Stable');
  // A third member starts a rebalance; only the leader rejoins.
  const third = group.join(joinOf('', 60_000));
  const leaderAgain = group.join(joinOf(leader.memberId, 60_000));
  expect(group.state).toBe('PreparingRebalance');
  clock.advance(5_000 - 1);
  await settle();
  expect(group.memberCount()).toBe(3);
  clock.advance(1);
  const [joined, rejoined] = await Promise.all([third, leaderAgain]);
  expect([joined.generation, rejoined.generation]).toEqual([2, 2]);
  expect(group.memberCount()).toBe(2);
  const absent = leader === first ? second : first;
  expect(group.heartbeat({ memberId: absent.memberId, instanceId: null, generation: 2 }))
    .toBe('UNKNOWN_MEMBER_ID');
});

it('expels a silent member at its session timeout, but not one parked in a sync', async () => {
  const { clock, group, emptied, commits } = setup();
  const a = group.join(joinOf('', 1_000));
  const b = group.join(joinOf('', 1_000));
  clock.advance(classicInitialRebalanceDelayMs);
  const [first, second] = await Promise.all([a, b]);
  const follower = first.leader === first.memberId ? second : first;
  const leader = follower === first ? second : first;
  // The follower waits in SyncGroup for the leader, which stays silent past its session.
  const parked = group.sync({ memberId: follower.memberId, instanceId: null, generation: 1,
    assignments: [] });
  clock.advance(1_000);
  const answer = await parked;
  expect(answer.error).toBe('REBALANCE_IN_PROGRESS');
  expect(group.heartbeat({ memberId: leader.memberId, instanceId: null, generation: 1 }))
    .toBe('UNKNOWN_MEMBER_ID');
  expect(group.heartbeat({ memberId: follower.memberId, instanceId: null, generation: 1 }))
    .toBe('REBALANCE_IN_PROGRESS');
  // PreparingRebalance: the current generation may still commit.
  expect(await group.commit({ memberId: follower.memberId, instanceId: null, generation: 1 },
    [{ topic: 't', partition: 0, offset: 7 }])).toBe(null);
  expect(commits).toEqual([[{ topic: 't', partition: 0, offset: 7 }]]);
  expect(group.leave(follower.memberId, null)).toBe(null);
  expect(group.state).toBe('Empty');
  expect(emptied()).toBe(1);
  // Empty: a commit from outside any generation is taken.
  expect(await group.commit({ memberId: '', instanceId: null, generation: -1 },
    [{ topic: 't', partition: 0, offset: 9 }])).toBe(null);
});
