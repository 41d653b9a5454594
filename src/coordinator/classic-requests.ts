/**
 * The requests of Kafka's classic group protocol as the Kafka door sends them to the broker's
 * main thread (one closed union), and the one function that serves them from the group registry
 * and the offset store. The door decodes and encodes the wire messages; this side holds the
 * groups, so embedded and network consumers share coordinators and committed offsets.
 *
 * Control plane only: a member sends a few of these per heartbeat interval and per commit.
 */
import { assertNever } from '../assert.js';
import { MambaError } from '../errors.js';
import type { TopicPartition } from './assignors.js';
import type {
  ClassicDescription, ClassicGroup, ClassicError, ClassicJoin, ClassicJoinResult, ClassicMemberRef,
  ClassicState, ClassicSync, ClassicSyncResult,
} from './classic-group.js';
import type { GroupRegistry } from './group-registry.js';
import type { OffsetEntry } from './offset-store.js';

export type ClassicRequest =
  | { type: 'join'; groupId: string; join: ClassicJoin }
  | { type: 'sync'; groupId: string; sync: ClassicSync }
  | { type: 'heartbeat'; groupId: string; member: ClassicMemberRef }
  | { type: 'leave'; groupId: string; members: { memberId: string; instanceId: string | null }[] }
  | { type: 'commit'; groupId: string; member: ClassicMemberRef; entries: OffsetEntry[] }
  | { type: 'check-txn-committer'; groupId: string; member: ClassicMemberRef }
  | { type: 'fetch-offsets'; groupId: string; partitions: TopicPartition[] | null }
  | { type: 'describe'; groupIds: string[] }
  | { type: 'list' }
  | { type: 'delete'; groupIds: string[] };

export interface ClassicGroupListing {
  groupId: string;
  protocolType: string;
  state: ClassicState;
}

export interface ClassicReplies {
  'join': ClassicJoinResult;
  'sync': ClassicSyncResult;
  'heartbeat': ClassicError;
  'leave': ClassicError[];
  'commit': ClassicError;
  'check-txn-committer': ClassicError;
  /** Requested partitions in order (offset -1: none committed), or every committed one. */
  'fetch-offsets': OffsetEntry[];
  'describe': (ClassicDescription & { groupId: string })[];
  'list': ClassicGroupListing[];
  'delete': ClassicError[];
}

export type ClassicReply<T extends ClassicRequest['type']> = ClassicReplies[T];

export async function serveClassicRequest<T extends ClassicRequest['type']>(
  registry: GroupRegistry, request: ClassicRequest & { type: T },
): Promise<ClassicReply<T>> {
  return await dispatch(registry, request) as ClassicReply<T>;
}

async function dispatch(registry: GroupRegistry, request: ClassicRequest):
Promise<ClassicReplies[ClassicRequest['type']]> {
  switch (request.type) {
    case 'join':
      return join(registry, request.groupId, request.join);
    case 'sync': {
      // A group with no live coordinator has no members: every member request is refused.
      const group = registry.findClassic(request.groupId);
      if (group !== undefined) return group.sync(request.sync);
      return {
        error: 'UNKNOWN_MEMBER_ID', protocolType: null, protocolName: null,
        assignment: new Uint8Array(0),
      };
    }
    case 'heartbeat': {
      const group = registry.findClassic(request.groupId);
      return group === undefined ? 'UNKNOWN_MEMBER_ID' : group.heartbeat(request.member);
    }
    case 'leave': {
      const group = registry.findClassic(request.groupId);
      return request.members.map((m) =>
        group === undefined ? 'UNKNOWN_MEMBER_ID' : group.leave(m.memberId, m.instanceId));
    }
    case 'commit':
      return commit(registry, request.groupId, request.member, request.entries);
    case 'check-txn-committer':
      return checkTxnCommitter(registry, request.groupId, request.member);
    case 'fetch-offsets':
      return fetchOffsets(registry, request.groupId, request.partitions);
    case 'describe':
      return request.groupIds.map((groupId) => ({ groupId, ...describe(registry, groupId) }));
    case 'list':
      return list(registry);
    case 'delete':
      return Promise.all(request.groupIds.map((groupId) => remove(registry, groupId)));
    default:
      return assertNever(request, 'classic group request');
  }
}

function join(registry: GroupRegistry, groupId: string,
  request: ClassicJoin): Promise<ClassicJoinResult> {
  let group: ClassicGroup;
  try {
    group = registry.classic(groupId);
  } catch (error) {
    // Another kind of group under this id, or no room for one more group.
    const refusal = MambaError.is(error, 'INCONSISTENT_GROUP_PROTOCOL') ?
      'INCONSISTENT_GROUP_PROTOCOL' : MambaError.is(error, 'GROUP_MAX_SIZE_REACHED') ?
        'GROUP_MAX_SIZE_REACHED' : undefined;
    if (refusal === undefined) throw error;
    return Promise.resolve({
      error: refusal, generation: -1, protocolType: null,
      protocolName: null, leader: '', memberId: request.memberId, members: [],
      skipAssignment: false,
    });
  }
  return group.join(request);
}

function commit(registry: GroupRegistry, groupId: string, member: ClassicMemberRef,
  entries: OffsetEntry[]): Promise<ClassicError> {
  const group = registry.findClassic(groupId);
  if (group !== undefined) return group.commit(member, entries);
  if (registry.find(groupId) !== undefined) {
    return Promise.resolve('UNKNOWN_MEMBER_ID');
  }
  // No live group: a commit from outside any generation is stored; a member's is refused.
  if (member.generation >= 0 || member.memberId !== '') {
    return Promise.resolve('UNKNOWN_MEMBER_ID');
  }
  return registry.offsets.commit(groupId, entries).then(() => null);
}

/** A transactional commit names a member: one of the live classic group, or none at all. */
function checkTxnCommitter(registry: GroupRegistry, groupId: string,
  member: ClassicMemberRef): ClassicError {
  const group = registry.findClassic(groupId);
  if (group !== undefined) return group.checkTxnCommitter(member);
  return member.memberId === '' ? null : 'UNKNOWN_MEMBER_ID';
}

function fetchOffsets(registry: GroupRegistry, groupId: string,
  partitions: TopicPartition[] | null): OffsetEntry[] {
  if (partitions === null) return registry.offsets.committedOffsets(groupId);
  return partitions.map((tp) =>
    registry.offsets.committedEntry(groupId, tp.topic, tp.partition) ?? { ...tp, offset: -1 });
}

function describe(registry: GroupRegistry, groupId: string): ClassicDescription {
  const group = registry.findClassic(groupId);
  if (group !== undefined) return group.describe();
  const mamba = registry.find(groupId)?.describe();
  if (mamba !== undefined) {
    // A group of embedded members on Mamba's own protocol: shown, with no Kafka metadata.
    return {
      state: 'Stable', protocolType: 'mamba', protocolName: mamba.assignor ?? '',
      generation: mamba.generation,
      members: mamba.members.map((m) => ({
        memberId: m.memberId, instanceId: null, clientId: 'mamba', clientHost: 'embedded',
        metadata: new Uint8Array(0), assignment: new Uint8Array(0),
      })),
    };
  }
  const known = registry.offsets.groups().includes(groupId);
  return {
    state: known ? 'Empty' : 'Dead', protocolType: known ? 'consumer' : '', protocolName: '',
    generation: 0, members: [],
  };
}

function list(registry: GroupRegistry): ClassicGroupListing[] {
  const listed = new Map<string, ClassicGroupListing>();
  for (const groupId of registry.offsets.groups()) {
    listed.set(groupId, { groupId, protocolType: 'consumer', state: 'Empty' });
  }
  for (const groupId of registry.groupIds()) {
    listed.set(groupId, { groupId, protocolType: 'mamba', state: 'Stable' });
  }
  for (const groupId of registry.classicGroupIds()) {
    const group = registry.findClassic(groupId)!;
    listed.set(groupId, { groupId, protocolType: group.describe().protocolType || 'consumer',
      state: group.state });
  }
  return [...listed.values()].sort((a, b) => a.groupId < b.groupId ? -1 : 1);
}

async function remove(registry: GroupRegistry, groupId: string): Promise<ClassicError> {
  const group = registry.findClassic(groupId);
  if (group !== undefined || registry.find(groupId) !== undefined) return 'NON_EMPTY_GROUP';
  if (!registry.offsets.groups().includes(groupId)) {
    return 'GROUP_ID_NOT_FOUND';
  }
  await registry.offsets.deleteGroup(groupId);
  return null;
}
