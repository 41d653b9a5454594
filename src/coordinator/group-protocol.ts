/**
 * The messages a group member sends to the broker's group registry, as one closed union, and
 * the one function that serves them. Members in the broker's thread call `serveGroupRequest`
 * directly; members in other threads send the same requests over a `MessagePort`
 * (group-port.ts). Both see the same replies and the same errors.
 *
 * Control plane only: a member sends a few of these per heartbeat interval and per commit,
 * never per record.
 */
import { assertNever } from '../assert.js';
import { fromWire, toWire } from '../errors.js';
import type { WireError } from '../errors.js';
import type { OffsetEntry } from './offset-store.js';
import type { TopicPartition } from './assignors.js';
import type { JoinRequest, MemberState } from './group-coordinator.js';
import type { GroupRegistry } from './group-registry.js';
import { serveClassicRequest } from './classic-requests.js';
import type { ClassicReplies, ClassicRequest } from './classic-requests.js';

export type GroupRequest =
  | { type: 'join'; groupId: string; join: JoinRequest }
  | { type: 'heartbeat'; groupId: string; memberId: string }
  | { type: 'acknowledge-revocation'; groupId: string; memberId: string; generation: number }
  | { type: 'leave'; groupId: string; memberId: string }
  | { type: 'commit'; groupId: string; memberId: string; generation: number;
      entries: OffsetEntry[] }
  | { type: 'fetch-committed'; groupId: string; partitions: TopicPartition[] }
  /** Kafka's classic group protocol, for embedded members of groups Kafka clients share. */
  | { type: 'classic'; request: ClassicRequest }
  /** What a classic group's leader needs to assign: each topic's partition count. */
  | { type: 'partition-counts'; topics: string[] };

/** What each request answers when it succeeds. */
export interface GroupReplyValues {
  'join': MemberState;
  'heartbeat': MemberState;
  'acknowledge-revocation': MemberState;
  'leave': null;
  'commit': null;
  'fetch-committed': (number | null)[];
  'classic': ClassicReplies[ClassicRequest['type']];
  'partition-counts': (number | null)[];
}

export type GroupReply<T extends GroupRequest['type'] = GroupRequest['type']> =
  | { ok: true; value: GroupReplyValues[T] }
  | { ok: false; error: WireError };

/** Serves one request; never throws, errors travel in the reply as wire errors. */
export async function serveGroupRequest(
  registry: GroupRegistry, request: GroupRequest,
): Promise<GroupReply> {
  try {
    return { ok: true, value: await dispatch(registry, request) };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

async function dispatch(
  registry: GroupRegistry, request: GroupRequest,
): Promise<GroupReplyValues[GroupRequest['type']]> {
  switch (request.type) {
    case 'join':
      return registry.coordinator(request.groupId).join(request.join);
    case 'heartbeat':
      return liveCoordinator(registry, request.groupId, request.memberId)
        .heartbeat(request.memberId);
    case 'acknowledge-revocation':
      return liveCoordinator(registry, request.groupId, request.memberId)
        .acknowledgeRevocation(request.memberId, request.generation);
    case 'leave':
      liveCoordinator(registry, request.groupId, request.memberId).leave(request.memberId);
      return null;
    case 'commit':
      await liveCoordinator(registry, request.groupId, request.memberId)
        .commit(request.memberId, request.generation, request.entries);
      return null;
    case 'classic':
      return serveClassicRequest(registry, request.request);
    case 'partition-counts':
      return request.topics.map((topic) => registry.partitionCount(topic) ?? null);
    case 'fetch-committed':
      return request.partitions.map(
        (tp) => registry.committed(request.groupId, tp.topic, tp.partition) ?? null);
    default:
      return assertNever(request, 'group request');
  }
}

/** A request for a member of a group with no live coordinator fails as an unknown member. */
function liveCoordinator(registry: GroupRegistry, groupId: string, memberId: string) {
  const coordinator = registry.find(groupId);
  if (coordinator !== undefined) return coordinator;
  // Creating a coordinator just to refuse the member would leave an empty group behind.
  return {
    heartbeat: () => unknownMember(groupId, memberId),
    acknowledgeRevocation: () => unknownMember(groupId, memberId),
    leave: () => unknownMember(groupId, memberId),
    commit: async () => unknownMember(groupId, memberId),
  };
}

function unknownMember(groupId: string, memberId: string): never {
  throw fromWire({ code: 'UNKNOWN_MEMBER', retriable: false,
    message: `${JSON.stringify(memberId)} is not a member of group ${JSON.stringify(groupId)}`,
    detail: { groupId, memberId } });
}

/** Turns a reply back into a value or a thrown `MambaError`. */
export function unwrapReply<T extends GroupRequest['type']>(reply: GroupReply<T>):
GroupReplyValues[T] {
  if (reply.ok) return reply.value;
  throw fromWire(reply.error);
}
