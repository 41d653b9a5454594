/**
 * How a member talks to the group registry, wherever it runs: `GroupClient` is the one
 * interface; `localGroupClient` calls the registry in the same thread, `remoteGroupClient`
 * sends the same requests over a `MessagePort` with comlink, and `serveGroupPort` answers them
 * on the broker's side. Errors arrive as `MambaError`s with their codes in both cases.
 */
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeAdapter from 'comlink/dist/umd/node-adapter.js';
import type { OffsetEntry } from '../../coordinator/index.js';
import type { TopicPartition } from '../../coordinator/index.js';
import type { JoinRequest, MemberState } from '../../coordinator/index.js';
import { serveGroupRequest, unwrapReply } from '../../coordinator/index.js';
import type { GroupReply, GroupReplyValues, GroupRequest } from '../../coordinator/index.js';
import type { GroupRegistry } from '../../coordinator/index.js';
import { ClassicMembers, usesClassicProtocol } from './classic-members.js';

export interface GroupClient {
  join(groupId: string, join: JoinRequest): Promise<MemberState>;
  heartbeat(groupId: string, memberId: string): Promise<MemberState>;
  acknowledgeRevocation(groupId: string, memberId: string, generation: number):
  Promise<MemberState>;
  leave(groupId: string, memberId: string): Promise<void>;
  commit(groupId: string, memberId: string, generation: number, entries: OffsetEntry[]):
  Promise<void>;
  /** The committed offset of each partition, in order; undefined where none was committed. */
  fetchCommitted(groupId: string, partitions: TopicPartition[]): Promise<(number | undefined)[]>;
}

// comlink ships its Node adapter as CommonJS whose `module.exports` is the function itself;
// its typings describe an ES default export, so the import is typed by hand.
const nodeEndpoint = nodeAdapter as unknown as typeof nodeAdapter.default;

export type Send = (request: GroupRequest) => Promise<GroupReply>;

/**
 * A client over `send`. Members joining with `range` or `round-robin` speak Kafka's classic
 * protocol (classic-members.ts), so that they can share a group with Kafka clients on the door;
 * the others speak Mamba's own (cooperative, coordinator-assigned). Each later request goes the
 * way its member joined. Committed offsets are one store for both.
 */
export function clientOver(send: Send): GroupClient {
  const call = async <T extends GroupRequest['type']>(request: GroupRequest & { type: T }):
  Promise<GroupReplyValues[T]> => unwrapReply(await send(request) as GroupReply<T>);
  const classic = new ClassicMembers(call);
  return {
    join: (groupId, join) => usesClassicProtocol(join.assignor) ?
      classic.join(groupId, join) : call({ type: 'join', groupId, join }),
    heartbeat: (groupId, memberId) => classic.owns(memberId) ? classic.heartbeat(memberId) :
      call({ type: 'heartbeat', groupId, memberId }),
    acknowledgeRevocation: (groupId, memberId, generation) => classic.owns(memberId) ?
      classic.acknowledgeRevocation(memberId) :
      call({ type: 'acknowledge-revocation', groupId, memberId, generation }),
    leave: async (groupId, memberId) => {
      if (classic.owns(memberId)) await classic.leave(memberId);
      else await call({ type: 'leave', groupId, memberId });
    },
    commit: async (groupId, memberId, generation, entries) => {
      if (classic.owns(memberId)) await classic.commit(memberId, generation, entries);
      else await call({ type: 'commit', groupId, memberId, generation, entries });
    },
    fetchCommitted: async (groupId, partitions) =>
      (await call({ type: 'fetch-committed', groupId, partitions }))
        .map((offset) => offset ?? undefined),
  };
}

/** A client for members in the registry's own thread. */
export function localGroupClient(registry: GroupRegistry): GroupClient {
  return clientOver((request) => serveGroupRequest(registry, request));
}

/** What the broker exposes on a member's port: one entry point for the closed union. */
interface GroupPortApi {
  handle(request: GroupRequest): Promise<GroupReply>;
}

/** Serves a member thread's requests on `port` (the broker's end of a `MessageChannel`). */
export function serveGroupPort(registry: GroupRegistry, port: MessagePort): void {
  const api: GroupPortApi = { handle: (request) => serveGroupRequest(registry, request) };
  Comlink.expose(api, nodeEndpoint(port));
}

/** A client for members in another thread, given the other end of a served port. */
export function remoteGroupClient(port: MessagePort): GroupClient & { close(): void } {
  const remote = Comlink.wrap<GroupPortApi>(nodeEndpoint(port));
  const client = clientOver((request) => remote.handle(request));
  return {
    ...client,
    close: () => {
      remote[Comlink.releaseProxy]();
      port.close();
    },
  };
}
