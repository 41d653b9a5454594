/**
 * The group coordinator's rules on the wire (NOTES.md §5 of the Kafka protocol notes), with a
 * raw client so that every request and error code is exact: unknown member, illegal
 * generation, rebalance in progress, commits during each phase of a rebalance, parked joins and
 * syncs, static membership and its fencing, inconsistent protocols.
 *
 * Responses come back in request order on one connection, so a parked JoinGroup or SyncGroup
 * holds back its connection's later answers: the checks made meanwhile use other connections
 * (the coordinator does not tie a member to a connection, as Kafka's does not).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/index.js';
import type {
  ApiVersionsResponse, JoinGroupResponse, OffsetFetchResponse, SyncGroupResponse,
} from '../../src/protocol/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';
import { waitFor } from './wait-for.js';

const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;
const REBALANCE_IN_PROGRESS = 27;
const INCONSISTENT_GROUP_PROTOCOL = 23;
const INVALID_SESSION_TIMEOUT = 26;
const FENCED_INSTANCE_ID = 82;
const KAFKA_STORAGE_ERROR = 56;
const OFFSET_METADATA_TOO_LARGE = 12;

let broker: Broker;
let port: number;
let dataDir: string;
const clients: WireClient[] = [];

// A broker per test: the temporary directory of a test is removed after it.
beforeEach(async () => {
  dataDir = tempDir();
  broker = await Broker.open({ dataDir, actors: 1 });
  await broker.createTopic('t', { partitions: 2 });
  port = (await broker.listen({ host: '127.0.0.1', port: 0 })).address().port;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await broker.close();
});

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(port);
  clients.push(client);
  return client;
}

const metadata = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 0]);

function join(client: WireClient, groupId: string, memberId: string,
  options: { instanceId?: string; protocol?: string; sessionTimeoutMs?: number } = {}) {
  return client.call<JoinGroupResponse>(ApiKey.JOIN_GROUP, 5, {
    groupId, sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000, rebalanceTimeoutMs: 10_000,
    memberId, groupInstanceId: options.instanceId ?? null, protocolType: 'consumer',
    protocols: [{ name: options.protocol ?? 'range', metadata }],
  });
}

function sync(client: WireClient, groupId: string, memberId: string, generationId: number,
  assignments: { memberId: string; assignment: Uint8Array }[] = [], instanceId?: string) {
  return client.call<SyncGroupResponse>(ApiKey.SYNC_GROUP, 3, {
    groupId, generationId, memberId, groupInstanceId: instanceId ?? null, assignments,
  });
}

async function heartbeat(client: WireClient, groupId: string, memberId: string,
  generationId: number, instanceId?: string): Promise<number> {
  const response = await client.call<{ errorCode: number }>(ApiKey.HEARTBEAT, 3, {
    groupId, generationId, memberId, groupInstanceId: instanceId ?? null,
  });
  return response.errorCode;
}

async function commit(client: WireClient, groupId: string, memberId: string,
  generationId: number, offset: number): Promise<number> {
  const response = await client.call<{ topics: { partitions: { errorCode: number }[] }[] }>(
    ApiKey.OFFSET_COMMIT, 5, {
      groupId, generationIdOrMemberEpoch: generationId, memberId,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset),
        committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
  return response.topics[0].partitions[0].errorCode;
}

async function committed(client: WireClient, groupId: string): Promise<bigint> {
  const response = await client.call<OffsetFetchResponse>(ApiKey.OFFSET_FETCH, 4, {
    groupId, topics: [{ name: 't', partitionIndexes: [0] }],
  });
  return response.topics[0].partitions[0].committedOffset;
}

describe('the group coordinator over the wire', () => {
  it('advertises every group API from v0 in ApiVersions', async () => {
    const client = await connect();
    const response = await client.call<ApiVersionsResponse>(ApiKey.API_VERSIONS, 0, {});
    const ranges = new Map(response.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges.get(ApiKey.OFFSET_COMMIT)).toEqual([0, 9]);
    expect(ranges.get(ApiKey.OFFSET_FETCH)).toEqual([0, 9]);
    expect(ranges.get(ApiKey.FIND_COORDINATOR)?.[0]).toBe(0);
    expect(ranges.get(ApiKey.JOIN_GROUP)).toEqual([0, 9]);
    expect(ranges.get(ApiKey.HEARTBEAT)).toEqual([0, 4]);
    expect(ranges.get(ApiKey.LEAVE_GROUP)).toEqual([0, 5]);
    expect(ranges.get(ApiKey.SYNC_GROUP)).toEqual([0, 5]);
    expect(ranges.get(ApiKey.DESCRIBE_GROUPS)).toEqual([0, 5]);
    expect(ranges.get(ApiKey.LIST_GROUPS)).toEqual([0, 5]);
    expect(ranges.get(ApiKey.DELETE_GROUPS)).toEqual([0, 2]);
  });

  it('checks member and generation, and takes commits only where a rebalance allows', async () => {
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const first = await join(a, 'g1', '');
    expect(first.errorCode).toBe(0);
    expect(first.generationId).toBe(1);
    expect(first.leader).toBe(first.memberId);
    expect(first.members.map((m) => m.memberId)).toEqual([first.memberId]);
    const leader = first.memberId;
    expect(await heartbeat(c, 'g1', 'nobody', 1)).toBe(UNKNOWN_MEMBER_ID);
    expect(await heartbeat(c, 'g1', leader, 7)).toBe(ILLEGAL_GENERATION);
    expect((await sync(c, 'g1', leader, 2)).errorCode).toBe(ILLEGAL_GENERATION);
    const mine = new Uint8Array([1, 2, 3]);
    const synced = await sync(a, 'g1', leader, 1, [{ memberId: leader, assignment: mine }]);
    expect(synced.errorCode).toBe(0);
    expect([...synced.assignment]).toEqual([1, 2, 3]);
    expect(await commit(c, 'g1', leader, 1, 3)).toBe(0);

    // A second member's join is parked and starts a rebalance the first learns of by heartbeat.
    const joiningB = join(b, 'g1', '');
    await waitFor(async () => await heartbeat(c, 'g1', leader, 1) === REBALANCE_IN_PROGRESS,
      10_000, 'the rebalance announced');
    // PreparingRebalance: commits of the current generation are still taken.
    expect(await commit(c, 'g1', leader, 1, 4)).toBe(0);
    expect((await sync(c, 'g1', leader, 1)).errorCode).toBe(REBALANCE_IN_PROGRESS);

    const [again, second] = await Promise.all([join(a, 'g1', leader), joiningB]);
    expect([again.generationId, second.generationId]).toEqual([2, 2]);
    expect(again.leader).toBe(leader);
    expect(again.members).toHaveLength(2);
    expect(second.members).toHaveLength(0);
    // CompletingRebalance: no commits until the assignment is known.
    expect(await commit(c, 'g1', leader, 2, 5)).toBe(REBALANCE_IN_PROGRESS);
    expect(await commit(c, 'g1', leader, 1, 5)).toBe(ILLEGAL_GENERATION);
    expect(await heartbeat(c, 'g1', second.memberId, 2)).toBe(0);

    const followerSync = sync(b, 'g1', second.memberId, 2);
    const theirs = new Uint8Array([9]);
    const leaderSync = await sync(a, 'g1', leader, 2, [
      { memberId: leader, assignment: mine }, { memberId: second.memberId, assignment: theirs },
    ]);
    expect(leaderSync.errorCode).toBe(0);
    expect([...(await followerSync).assignment]).toEqual([9]);
    expect(await commit(c, 'g1', leader, 2, 5)).toBe(0);
    expect(await committed(c, 'g1')).toBe(5n);
    // Outside any generation only an empty group takes commits.
    expect(await commit(c, 'g1', '', -1, 1)).toBe(UNKNOWN_MEMBER_ID);

    const left = await c.call<{ errorCode: number; members: { errorCode: number }[] }>(
      ApiKey.LEAVE_GROUP, 3, { groupId: 'g1', members: [{ memberId: second.memberId }] });
    expect(left.members[0].errorCode).toBe(0);
    expect(await heartbeat(c, 'g1', second.memberId, 2)).toBe(UNKNOWN_MEMBER_ID);
    expect(await heartbeat(c, 'g1', leader, 2)).toBe(REBALANCE_IN_PROGRESS);
  }, 30_000);

  it('lets a static member rejoin under a new id with no rebalance, fencing the old', async () => {
    const [a, c] = [await connect(), await connect()];
    const first = await join(a, 'g2', '', { instanceId: 'i1' });
    const assignment = new Uint8Array([7, 7]);
    await sync(a, 'g2', first.memberId, 1, [{ memberId: first.memberId, assignment }], 'i1');
    const back = await join(a, 'g2', '', { instanceId: 'i1' });
    expect(back.errorCode).toBe(0);
    expect(back.memberId).not.toBe(first.memberId);
    expect(back.generationId).toBe(1);
    expect(await heartbeat(c, 'g2', first.memberId, 1, 'i1')).toBe(FENCED_INSTANCE_ID);
    expect(await heartbeat(c, 'g2', back.memberId, 1, 'i1')).toBe(0);
    const resynced = await sync(c, 'g2', back.memberId, 1, [], 'i1');
    expect([...resynced.assignment]).toEqual([7, 7]);
    const left = await c.call<{ members: { errorCode: number }[] }>(ApiKey.LEAVE_GROUP, 3, {
      groupId: 'g2', members: [{ memberId: '', groupInstanceId: 'i1' }],
    });
    expect(left.members[0].errorCode).toBe(0);
    expect(await heartbeat(c, 'g2', back.memberId, 1, 'i1')).toBe(UNKNOWN_MEMBER_ID);
  }, 30_000);

  it('refuses a member whose protocols share none with the group, or a bad timeout', async () => {
    const [a, c] = [await connect(), await connect()];
    const first = await join(a, 'g3', '', { protocol: 'range' });
    expect(first.errorCode).toBe(0);
    const other = await join(c, 'g3', '', { protocol: 'roundrobin' });
    expect(other.errorCode).toBe(INCONSISTENT_GROUP_PROTOCOL);
    const bad = await join(c, 'g4', '', { sessionTimeoutMs: 1 });
    expect(bad.errorCode).toBe(INVALID_SESSION_TIMEOUT);
  });

  it('answers a commit the offset store cannot write with an error, keeping the connection',
    async () => {
      const client = await connect();
      // The offsets directory vanishes under the broker: a new group's log cannot be created.
      fs.rmSync(path.join(dataDir, '__groups'), { recursive: true, force: true });
      const closed = client.closed.then(() => {
        throw new Error('the door closed the connection');
      });
      expect(await Promise.race([commit(client, 'g5', '', -1, 1), closed]))
        .toBe(KAFKA_STORAGE_ERROR);
      expect(await heartbeat(client, 'g5', 'nobody', 1)).toBe(UNKNOWN_MEMBER_ID);
    });

  it('stores commit metadata with the offset, across a restart, and refuses one too large',
    async () => {
      const client = await connect();
      const commitWithMetadata = (partitionIndex: number, offset: bigint, meta: string | null) =>
        client.call<{ topics: { partitions: { errorCode: number }[] }[] }>(
          ApiKey.OFFSET_COMMIT, 8, { groupId: 'g6', generationIdOrMemberEpoch: -1, memberId: '',
            groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex,
              committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: meta }] }] });
      const fetched = async () => {
        const response = await client.call<OffsetFetchResponse>(ApiKey.OFFSET_FETCH, 7, {
          groupId: 'g6', topics: null, requireStable: false });
        return response.topics.flatMap((t) => t.partitions.map(
          (p) => [p.partitionIndex, p.committedOffset, p.metadata]));
      };
      const meta = 'consumer-7 ✓ '.repeat(20);
      expect((await commitWithMetadata(0, 0n, meta)).topics[0].partitions[0].errorCode).toBe(0);
      expect((await commitWithMetadata(1, 0n, null)).topics[0].partitions[0].errorCode).toBe(0);
      const tooLarge = await commitWithMetadata(0, 0n, 'x'.repeat(4097));
      expect(tooLarge.topics[0].partitions[0].errorCode).toBe(OFFSET_METADATA_TOO_LARGE);
      expect(await fetched()).toEqual([[0, 0n, meta], [1, 0n, '']]);
      // A later commit replaces the partition's metadata along with its offset.
      expect((await commitWithMetadata(1, 0n, 'again')).topics[0].partitions[0].errorCode)
        .toBe(0);

      client.close();
      clients.splice(0);
      await broker.close();
      broker = await Broker.open({ dataDir, actors: 1 });
      port = (await broker.listen({ host: '127.0.0.1', port: 0 })).address().port;
      const reopened = await connect();
      const response = await reopened.call<OffsetFetchResponse>(ApiKey.OFFSET_FETCH, 4, {
        groupId: 'g6', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
      expect(response.topics[0].partitions.map((p) => p.metadata)).toEqual([meta, 'again']);
    });
});
