/**
 * Worker entry of a partition actor. The supervisor starts one per actor slot with
 * `ActorWorkerData`; the actor serves control commands over comlink on `parentPort` and runs
 * its drain loop until told to shut down. An uncaught error ends the worker, and the supervisor
 * restarts it from its partitions' checkpoints. A worker started as a warm standby
 * (`standby: true`) loads everything, then waits for `adopt` before it becomes the actor.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../assert.js';
import { ControlBlock } from '../shm/index.js';
import { ControlInbox } from './control-inbox.js';
import type { ActorWorkerData } from './protocol.js';
import { exposeActor } from './rpc.js';
import { StandbyEndpoint } from './standby-endpoint.js';

assert(parentPort !== null, 'actor-main runs in a worker thread');
const data = workerData as ActorWorkerData;
const inbox = new ControlInbox(data.controlPosted);
parentPort.on('message', () => inbox.dispatched());
const endpoint = new StandbyEndpoint(data.actorIndex, new ControlBlock(data.controlBlock),
  data.idle, inbox);
if (data.standby !== true) endpoint.adopt(data.epoch);
exposeActor(endpoint, parentPort);
await endpoint.runWhenAdopted();
parentPort.close();
