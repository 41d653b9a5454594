/**
 * Worker entry of a partition actor. The supervisor starts one per actor slot with
 * `ActorWorkerData`; the actor serves control commands over comlink on `parentPort` and runs
 * its drain loop until told to shut down. An uncaught error ends the worker, and the supervisor
 * restarts it from its partitions' checkpoints.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../assert.js';
import { ControlBlock } from '../shm/index.js';
import { PartitionActor } from './partition-actor.js';
import type { ActorWorkerData } from './protocol.js';
import { exposeActor } from './rpc.js';

assert(parentPort !== null, 'actor-main runs in a worker thread');
const data = workerData as ActorWorkerData;
const actor = new PartitionActor(data.actorIndex, data.epoch, new ControlBlock(data.controlBlock),
  data.idle);
exposeActor(actor, parentPort);
await actor.run();
parentPort.close();
