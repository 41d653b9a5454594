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

/**
 * `afterPost` runs after every message posted to the actor: a parked actor blocks its thread
 * (partition-actor.ts, sleepUntilWork), so the supervisor counts the message and rings its
 * doorbell to let it in (control-inbox.ts).
 */
export function wrapActor(worker: Worker, afterPost?: () => void): Comlink.Remote<ActorEndpoint> {
  const endpoint = nodeEndpoint(worker) as Parameters<typeof Comlink.wrap>[0];
  if (afterPost !== undefined) {
    const post = endpoint.postMessage.bind(endpoint);
    endpoint.postMessage = (message, transfer) => {
      post(message, transfer);
      afterPost();
    };
  }
  return Comlink.wrap<ActorEndpoint>(endpoint);
}
