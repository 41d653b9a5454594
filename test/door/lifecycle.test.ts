/**
 * A door's lifecycle: `broker.close()` closes its doors (the port stops accepting), and a door
 * whose worker thread already died still closes instead of waiting for it forever, and a
 * request in flight when the door closes is answered first.
 */
import net from 'node:net';
import { expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { ApiKey, type FetchResponse } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

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
  await door.crashWorker();
  await door.close();
  await broker.close();
});

it('answers a long-polling fetch before closing its connection', async () => {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('w', { partitions: 1 });
  const door = await broker.listen({ port: 0 });
  const client = await WireClient.connect(door.address().port);
  const answer = client.call<FetchResponse>(ApiKey.FETCH, 11, {
    replicaId: -1, maxWaitMs: 25_000, minBytes: 1, maxBytes: 1024, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: 'w', partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n,
      partitionMaxBytes: 1024, currentLeaderEpoch: -1 }] }],
  });
  // The fetch is parked once the door holds it; close while it waits.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const startedMs = Date.now();
  await door.close();
  const response = await answer;
  expect(Date.now() - startedMs).toBeLessThan(10_000);
  expect(response.responses[0].partitions[0].errorCode).toBe(0);
  await client.closed;
  await broker.close();
});
