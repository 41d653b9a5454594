import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/coordinator/clock.js';
import { GroupRegistry } from '../../src/coordinator/group-registry.js';
import type { GroupCoordinator, MemberState } from '../../src/coordinator/group-coordinator.js';
import { GroupMember } from '../../src/client/groups/group-member.js';
import {
  localGroupClient, remoteGroupClient, serveGroupPort,
} from '../../src/client/groups/group-client.js';
import { partitionKey } from '../../src/coordinator/assignors.js';
import type { AssignorName, TopicPartition } from '../../src/coordinator/assignors.js';
import { OffsetStore } from '../../src/coordinator/offset-store.js';
import type { OffsetEntry } from '../../src/coordinator/offset-store.js';

class MemoryOffsets {
  readonly map = new Map<string, number>();
  async commit(groupId: string, entries: readonly OffsetEntry[]): Promise<void> {
    for (const e of entries) this.map.set(`${groupId}/${e.topic}/${e.partition}`, e.offset);
  }
  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.map.get(`${groupId}/${topic}/${partition}`);
  }
  committedEntry(groupId: string, topic: string, partition: number): OffsetEntry | undefined {
    const offset = this.committed(groupId, topic, partition);
    return offset === undefined ? undefined : { topic, partition, offset };
  }
  committedOffsets(): OffsetEntry[] {
    return [];
  }
  groups(): string[] {
    return [];
  }
  async deleteGroup(): Promise<void> {}
}

function setup(topics: Record<string, number> = { orders: 6 }) {
  const clock = new ManualClock();
  const counts = new Map(Object.entries(topics));
  const offsets = new MemoryOffsets();
  const registry = new GroupRegistry({ offsets, clock, partitionCount: (t) => counts.get(t) });
  return { clock, counts, offsets, registry, group: registry.coordinator('g') };
}

const join = (group: GroupCoordinator, memberId?: string,
  assignor: AssignorName = 'cooperative-sticky') =>
  group.join({ memberId, subscriptions: ['orders'], assignor, sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 2000 });

/** Every member acknowledges its revocations until the group settles. */
function settle(group: GroupCoordinator): void {
  for (let round = 0; round < 10; round++) {
    const pending = group.describe().members.filter((m) => m.revoked.length > 0);
    if (pending.length === 0) return;
    for (const m of pending) group.acknowledgeRevocation(m.memberId, group.generation);
  }
  throw new Error('group did not settle');
}

function holders(group: GroupCoordinator): Map<string, string> {
  const result = new Map<string, string>();
  for (const m of group.describe().members) {
    for (const tp of [...m.assigned, ...m.revoked]) {
      expect(result.has(partitionKey(tp))).toBe(false);
      result.set(partitionKey(tp), m.memberId);
    }
  }
  return result;
}

describe('GroupCoordinator', () => {
  it('hands partitions over in two phases as members join', () => {
    const { group } = setup();
    const a = join(group);
    expect(a.assigned.length).toBe(6);
    const b = join(group);
    // a must give up three first; b gets nothing until a acknowledges.
    const aState = group.state(a.memberId)!;
    expect(aState.revoked.length).toBe(3);
    expect(group.state(b.memberId)!.assigned).toEqual([]);
    expect(holders(group).size).toBe(6);
    const generation = group.generation;
    group.acknowledgeRevocation(a.memberId, aState.generation);
    expect(group.generation).toBe(generation + 1);
    expect(group.state(b.memberId)!.assigned.length).toBe(3);
    const c = join(group);
    settle(group);
    for (const id of [a.memberId, b.memberId, c.memberId]) {
      expect(group.state(id)!.assigned.length).toBe(2);
    }
    expect(holders(group).size).toBe(6);
  });

  it('expels a member that misses its session timeout, and its partitions move', () => {
    const { group, clock } = setup();
    const a = join(group);
    const b = join(group);
    settle(group);
    for (let t = 0; t < 5; t++) {
      clock.advance(400);
      group.heartbeat(a.memberId);
    }
    expect(group.state(b.memberId)).toBeUndefined();
    expect(group.state(a.memberId)!.assigned.length).toBe(6);
    expect(() => group.heartbeat(b.memberId))
      .toThrow(expect.objectContaining({ code: 'UNKNOWN_MEMBER' }));
  });

  it('a slow member stays while it heartbeats; an unacknowledged revocation expels it', () => {
    const { group, clock } = setup();
    const a = join(group);
    const generation = group.generation;
    for (let t = 0; t < 50; t++) {
      clock.advance(500);
      group.heartbeat(a.memberId);
    }
    expect(group.generation).toBe(generation);
    const b = join(group);
    expect(group.state(a.memberId)!.revoked.length).toBe(3);
    for (let t = 1; t <= 5; t++) {
      clock.advance(500);
      // Past its session timeout, a is still there: its heartbeats keep it alive.
      if (t === 3) expect(group.state(a.memberId)!.revoked.length).toBe(3);
      if (group.state(a.memberId) !== undefined) group.heartbeat(a.memberId);
      group.heartbeat(b.memberId);
    }
    expect(group.state(a.memberId)).toBeUndefined();
    expect(group.state(b.memberId)!.assigned.length).toBe(6);
  });

  it('fences commits by membership, ownership and generation', async () => {
    const { group, offsets, clock } = setup();
    const a = join(group);
    await group.commit(a.memberId, a.generation, [{ topic: 'orders', partition: 5, offset: 10 }]);
    expect(offsets.committed('g', 'orders', 5)).toBe(10);
    const b = join(group);
    const revoked = group.state(a.memberId)!.revoked;
    // A holder may still commit what it is giving up, until it acknowledges.
    await group.commit(a.memberId, group.generation, [{ ...revoked[0], offset: 11 }]);
    settle(group);
    await expect(group.commit(a.memberId, group.generation, [{ ...revoked[0], offset: 12 }]))
      .rejects.toMatchObject({ code: 'PARTITION_NOT_OWNED' });
    await expect(group.commit(a.memberId, group.generation + 1, []))
      .rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    // b acquired revoked[0] in a later generation: a commit stamped before that is a zombie's.
    await expect(group.commit(b.memberId, b.generation, [{ ...revoked[0], offset: 13 }]))
      .rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    await group.commit(b.memberId, group.generation, [{ ...revoked[0], offset: 14 }]);
    expect(offsets.committed('g', revoked[0].topic, revoked[0].partition)).toBe(14);
    // An expelled member is refused outright.
    clock.advance(600);
    group.heartbeat(b.memberId);
    clock.advance(600);
    expect(group.state(a.memberId)).toBeUndefined();
    await expect(group.commit(a.memberId, group.generation, []))
      .rejects.toMatchObject({ code: 'UNKNOWN_MEMBER' });
  });

  it('refuses bad joins with codes', () => {
    const { group } = setup();
    join(group);
    expect(() => join(group, undefined, 'range' as never)).toThrow(
      expect.objectContaining({ code: 'INCONSISTENT_GROUP_PROTOCOL' }));
    expect(() => group.join({ subscriptions: ['nope'], assignor: 'cooperative-sticky' }))
      .toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC' }));
    expect(() => group.join({ subscriptions: ['orders'], assignor: 'x' as never }))
      .toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => group.join({ subscriptions: ['orders'], assignor: 'cooperative-sticky',
      sessionTimeoutMs: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('rebalances when a subscribed topic grows, and drops an empty group', () => {
    const { group, counts, registry } = setup();
    const a = join(group);
    counts.set('orders', 8);
    registry.topicsChanged();
    expect(group.state(a.memberId)!.assigned.length).toBe(8);
    group.leave(a.memberId);
    expect(registry.find('g')).toBeUndefined();
  });

  it('range and round-robin hand over through the same two phases', () => {
    for (const assignor of ['range', 'round-robin'] as const) {
      const { group } = setup();
      join(group, 'm1', assignor);
      join(group, 'm0', assignor);
      expect(holders(group).size).toBe(6);
      settle(group);
      expect(group.state('m0')!.assigned.length).toBe(3);
      expect(group.state('m1')!.assigned.length).toBe(3);
    }
  });

  it('members with their own heartbeat timers follow the assignment', async () => {
    const { registry, clock } = setup();
    const client = localGroupClient(registry);
    const processing = new Map<string, Set<string>>();
    // Errors thrown in the members' callbacks (the overlap check below runs in onAssigned) reach
    // onError, not this test: collect them and assert there were none.
    const errors: unknown[] = [];
    const owners = () => {
      const seen = new Map<string, string>();
      for (const [id, set] of processing) {
        for (const key of set) {
          if (seen.has(key)) throw new Error(`${key} held by ${seen.get(key)} and ${id}`);
          seen.set(key, id);
        }
      }
      return seen;
    };
    const make = async (name: string) => {
      const set = new Set<string>();
      processing.set(name, set);
      return GroupMember.join(client, {
        groupId: 'g', subscriptions: ['orders'], clock, heartbeatIntervalMs: 100,
        sessionTimeoutMs: 1000, onError: (error: unknown) => errors.push(error),
        onAssigned: (tps: TopicPartition[]) => {
          tps.forEach((tp) => set.add(partitionKey(tp)));
          owners();
        },
        onRevoked: (tps: TopicPartition[]) => {
          tps.forEach((tp) => set.delete(partitionKey(tp)));
        },
      });
    };
    const m1 = await make('m1');
    const m2 = await make('m2');
    const m3 = await make('m3');
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await Promise.all([m1.heartbeat(), m2.heartbeat(), m3.heartbeat()]);
    }
    expect(errors).toEqual([]);
    expect(owners().size).toBe(6);
    expect([m1, m2, m3].map((m) => m.assigned().length)).toEqual([2, 2, 2]);
    await m2.leave();
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await Promise.all([m1.heartbeat(), m3.heartbeat()]);
    }
    expect(errors).toEqual([]);
    expect(owners().size).toBe(6);
    expect(m1.assigned().length + m3.assigned().length).toBe(6);
    await m1.leave();
    await m3.leave();
    expect(registry.find('g')).toBeUndefined();
  });

  it('serves members in other threads over a MessagePort, errors keep their codes', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mamba-groups-'));
    const store = await OffsetStore.open(dataDir);
    const registry = new GroupRegistry({ offsets: store, partitionCount: () => 2 });
    const { port1, port2 } = new MessageChannel();
    serveGroupPort(registry, port1);
    const client = remoteGroupClient(port2);
    try {
      const state: MemberState = await client.join('g', { subscriptions: ['t'],
        assignor: 'round-robin' });
      expect(state.assigned.length).toBe(2);
      expect((await client.heartbeat('g', state.memberId)).generation).toBe(state.generation);
      await client.commit('g', state.memberId, state.generation,
        [{ topic: 't', partition: 1, offset: 42 }]);
      expect(await client.fetchCommitted('g', [{ topic: 't', partition: 1 },
        { topic: 't', partition: 0 }])).toEqual([42, undefined]);
      await expect(client.commit('g', state.memberId, state.generation + 5, []))
        .rejects.toMatchObject({ name: 'MambaError', code: 'ILLEGAL_GENERATION' });
      await client.leave('g', state.memberId);
      await expect(client.heartbeat('g', state.memberId))
        .rejects.toMatchObject({ code: 'UNKNOWN_MEMBER' });
      expect(store.committed('g', 't', 1)).toBe(42);
    } finally {
      client.close();
      port1.close();
      registry.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
