/**
 * Limits of a connection: a frame over maxRequestBytes or with an unknown API key closes that
 * connection only; an ApiVersions version the door does not know gets UNSUPPORTED_VERSION in
 * the v0 layout; a client that pipelines requests and never reads its responses is paused
 * (bounded memory) while another connection is served normally. A connection idle for
 * `connectionsMaxIdleMs` is closed, one with a request in flight is not.
 */
import net from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import {
  ApiKey, apiSchemas, encodeRequest, kafkaErrorCode, type MetadataResponse,
} from '../../src/protocol/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

let broker: Broker;
let port: number;
const clients: WireClient[] = [];

beforeEach(async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1, maxRequestBytes: 4096 });
  await broker.createTopic('l', { partitions: 1 });
  port = (await broker.listen({ port: 0 })).address().port;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await broker.close();
});

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(port);
  clients.push(client);
  return client;
}

function metadata(client: WireClient) {
  return client.call<MetadataResponse>(ApiKey.METADATA, 9, {
    topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'l' }],
    allowAutoTopicCreation: false,
  });
}

it('closes a connection that sends a frame over maxRequestBytes, and only that one', async () => {
  const bad = await connect();
  const good = await connect();
  const header = Buffer.alloc(4);
  header.writeInt32BE(4097);
  bad.sendRaw(header);
  await bad.closed;
  expect((await metadata(good)).topics[0].name).toBe('l');
});

it('reassembles a request that arrives one byte at a time', async () => {
  const client = await connect();
  const answered = new Promise<Buffer>((resolve) => client.socket.once('data', resolve));
  const frame = Buffer.concat(encodeRequest(apiSchemas(ApiKey.METADATA)!, 1, 5, 'bytes',
    { topics: [{ name: 'l' }] }));
  for (const byte of frame) {
    client.sendRaw(Uint8Array.of(byte));
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect((await answered).readInt32BE(4)).toBe(5);
});

it('closes a connection that sends an unknown API key', async () => {
  const bad = await connect();
  const frame = Buffer.from([0, 0, 0, 10, 0, 99, 0, 0, 0, 0, 0, 1, 0, 0]);
  bad.sendRaw(frame);
  await bad.closed;
});

it('answers an ApiVersions version it does not know in the v0 layout', async () => {
  const client = await connect();
  const response = new Promise<Buffer>((resolve) => client.socket.once('data', resolve));
  const frame = Buffer.concat(encodeRequest(apiSchemas(ApiKey.API_VERSIONS)!, 3, 7, 'x',
    { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
  frame.writeInt16BE(9, 6); // version 9
  client.sendRaw(frame);
  const bytes = await response;
  expect(bytes.readInt32BE(4)).toBe(7);
  expect(bytes.readInt16BE(8)).toBe(kafkaErrorCode('UNSUPPORTED_VERSION'));
});

it('pauses a client that never reads while another connection is served', async () => {
  const producer = broker.producer({ acks: 1 });
  await producer.send('l', { value: 'z'.repeat(100_000) });
  await producer.close();
  // 200,000 pipelined fetches of a 100 kB batch: 20 GB of responses if the door buffered them.
  // It stops reading once 16 MiB of responses wait in the socket, so the requests pile up on the
  // client's side: its kernel buffers fill and Node holds the rest.
  const reader = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => reader.once('connect', resolve));
  reader.pause();
  const fetchFrame = Buffer.concat(encodeRequest(apiSchemas(ApiKey.FETCH)!, 11, 1, 'slow', {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic: 'l', partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n,
      partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1 }] }],
  }));
  for (let i = 0; i < 200_000; i++) reader.write(fetchFrame);
  const good = await connect();
  for (let i = 0; i < 20; i++) expect((await metadata(good)).topics[0].errorCode).toBe(0);
  const pushedBackBytesMin = 10 * 1024 * 1024;
  const deadline = Date.now() + 10_000;
  while (reader.writableLength < pushedBackBytesMin && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(reader.writableLength).toBeGreaterThan(pushedBackBytesMin);
  reader.destroy();
});

it('closes a connection idle for connectionsMaxIdleMs, not one waiting for its answer',
  async () => {
    const door = await broker.listen({ port: 0, connectionsMaxIdleMs: 300 });
    const quiet = await WireClient.connect(door.address().port);
    const polling = await WireClient.connect(door.address().port);
    clients.push(quiet, polling);
    let quietClosedFirst = false;
    void quiet.closed.then(() => { quietClosedFirst = true; });
    // A Fetch that waits for data longer than the idle limit is answered, not cut off.
    const fetched = await polling.call<{ responses: { partitions: { errorCode: number }[] }[] }>(
      ApiKey.FETCH, 11, {
        replicaId: -1, maxWaitMs: 1500, minBytes: 1, maxBytes: 1024, isolationLevel: 0,
        sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
        topics: [{ topic: 'l', partitions: [{ partition: 0, currentLeaderEpoch: -1,
          fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1024 }] }],
      });
    expect(fetched.responses[0].partitions[0].errorCode).toBe(0);
    // The quiet connection, which sent nothing, was closed while the Fetch waited; the
    // polling one is closed once it has been quiet as long after its answer.
    expect(quietClosedFirst).toBe(true);
    await polling.closed;
    await door.close();
  });
