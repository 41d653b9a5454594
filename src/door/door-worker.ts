/**
 * The door's worker thread entry: listens, serves connections, and stops on the main thread's
 * `close` command (door.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../assert.js';
import { fromIoError, toWire } from '../errors.js';
import { BrokerLink } from './broker-link.js';
import { DoorContext } from './door-context.js';
import type { DoorCommand, DoorEvent, DoorWorkerData } from './door-protocol.js';
import { DoorServer } from './door-server.js';

assert(parentPort !== null, 'the door runs in a worker thread');
const port = parentPort;
const data = workerData as DoorWorkerData;
const broker = new BrokerLink(port);
const context = new DoorContext(data, broker);
const server = new DoorServer(context);

port.on('message', (command: DoorCommand) => {
  if (broker.receive(command)) return;
  if (command.kind === 'close') {
    void server.close(command.graceMs).finally(() => {
      port.postMessage({ kind: 'closed' } satisfies DoorEvent);
    });
  }
});

server.listen().then((listeners) => {
  port.postMessage({ kind: 'listening', listeners } satisfies DoorEvent);
}, (error: unknown) => {
  const where = data.config.listeners.map((l) => `${l.protocol}://${l.host}:${l.port}`)
    .join(',');
  port.postMessage({
    kind: 'listen-failed', error: toWire(fromIoError(error, `listening on ${where}`)),
  } satisfies DoorEvent);
});
