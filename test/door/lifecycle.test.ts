/**
 * A door's lifecycle: `broker.close()` closes its doors (the port stops accepting), and a door
 * whose worker thread already died still closes instead of waiting for it forever.
 */
import net from 'node:net';
import { expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

it('closes its doors when the broker closes', async () => {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  const door = await broker.listen({ port: 0 });
  const { port } = door.address();
  expect(await connects(port)).toBe(true);
  await broker.close();
  expect(await connects(port)).toBe(false);
});

it('closes a door whose worker thread has died', async () => {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  const door = await broker.listen({ port: 0 });
  // Stands in for a crash of the door's thread.
  await (door as unknown as { worker: Worker }).worker.terminate();
  await door.close();
  await broker.close();
});
