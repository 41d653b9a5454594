/**
 * comlink over `worker_threads`: the control plane between the supervisor and each actor.
 * comlink is written for browser message ports; its Node adapter wraps a `Worker` or
 * `parentPort`. This module is the one place that bridges the two type worlds.
 */
import * as Comlink from 'comlink';
import nodeEndpointModule from 'comlink/dist/umd/node-adapter.js';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { ActorEndpoint } from './protocol.js';

type AnyEndpoint = Parameters<typeof Comlink.expose>[1];
const nodeEndpoint = nodeEndpointModule as unknown as (port: unknown) => AnyEndpoint;

export function exposeActor(endpoint: ActorEndpoint, port: MessagePort): void {
  Comlink.expose(endpoint, nodeEndpoint(port));
}

export function wrapActor(worker: Worker): Comlink.Remote<ActorEndpoint> {
  return Comlink.wrap<ActorEndpoint>(nodeEndpoint(worker) as Parameters<typeof Comlink.wrap>[0]);
}
