/**
 * A consumer for another worker thread: `broker.consumerHandle(options)` returns a
 * `ConsumerHandle`, plain structured-cloneable data (SharedArrayBuffers, strings, numbers), to
 * pass in `workerData` or `postMessage` with no transfer list; `Consumer.attach(handle)` in the
 * worker gives a consumer with the same API.
 *
 * The data path needs nothing from the broker's thread: the worker maps the segment files
 * itself and waits on the control block. Only the group protocol (join, heartbeat, commit; a
 * few messages per second) goes to the broker's thread, over a `BroadcastChannel` named in the
 * handle, with comlink: a channel is found by name from any thread, so unlike a
 * `MessagePort` it needs no transfer, and a handle can be cloned, stored, or attached late.
 * Each handle has a channel of its own (a random name); the broker closes them all on close,
 * so consumers in workers must be closed before the broker.
 */
import { BroadcastChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { clientOver } from './groups/index.js';
import type { GroupClient } from './groups/index.js';
import { serveGroupRequest } from '../coordinator/index.js';
import type { GroupReply, GroupRegistry, GroupRequest } from '../coordinator/index.js';
import type { ConsumerOptions } from './consumer-options.js';

export interface ConsumerHandle {
  options: ConsumerOptions;
  dataDir: string;
  /** The broker's control block (partition high-watermarks and change counts). */
  controlBlock: SharedArrayBuffer;
  /** The broker's shared topic directory. */
  topicDirectory: SharedArrayBuffer;
  /** The BroadcastChannel on which the broker serves this handle's group requests. */
  groupChannel: string;
}

interface GroupChannelApi {
  handle(request: GroupRequest): Promise<GroupReply>;
}

/** Broker side: serves group requests on a channel; unref'd, so it keeps no process alive. */
export function serveGroupChannel(registry: GroupRegistry, name: string): BroadcastChannel {
  const channel = new BroadcastChannel(name);
  channel.unref();
  const api: GroupChannelApi = { handle: (request) => serveGroupRequest(registry, request) };
  Comlink.expose(api, channel as unknown as Comlink.Endpoint);
  return channel;
}

/** Worker side: a group client over the channel a handle names. */
export function channelGroupClient(name: string): GroupClient & { close(): void } {
  const channel = new BroadcastChannel(name);
  const remote = Comlink.wrap<GroupChannelApi>(channel as unknown as Comlink.Endpoint);
  return {
    ...clientOver((request) => remote.handle(request)),
    close: () => {
      remote[Comlink.releaseProxy]();
      channel.close();
    },
  };
}
