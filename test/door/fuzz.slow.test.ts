/**
 * Bad input never hurts the broker: over several connections at once, at least 100,000 mutated
 * request frames (bytes flipped, frames cut short, sizes wrong, garbage after the body, unknown
 * API keys and versions, frames over maxRequestBytes) reach the door; every connection either
 * gets its answers or is closed, and afterwards kcat produces and consumes normally.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { ApiKey, apiSchemas, encodeRequest } from '../../src/protocol/index.js';
import { encodeBatch } from '../../src/records/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { kcat, requireKcat } from './kcat.js';

const framesMin = Number(process.env.FUZZ_FRAMES ?? 100_000);
const connectionCount = 4;
const maxRequestBytes = 64 * 1024;

let broker: Broker;
let port: number;

beforeAll(async () => {
  requireKcat();
  broker = await Broker.open({ dataDir: tempDir(), actors: 2, maxRequestBytes });
  await broker.createTopic('fuzz', { partitions: 2 });
  port = (await broker.listen({ port: 0 })).address().port;
});

afterAll(async () => {
  await broker?.close();
});

function frame(apiKey: number, version: number, body: object, correlation = 1): Uint8Array {
  return Uint8Array.from(Buffer.concat(encodeRequest(apiSchemas(apiKey)!, version, correlation,
    'fuzz', body)));
}

/** Valid requests of every API the door serves that creates nothing on disk. */
function baseFrames(): Uint8Array[] {
  const records = encodeBatch([{ key: null, value: new Uint8Array(20) }]);
  const topics = [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'fuzz' }];
  return [
    frame(ApiKey.API_VERSIONS, 3, { clientSoftwareName: 'f', clientSoftwareVersion: '1' }),
    frame(ApiKey.METADATA, 1, { topics: [{ name: 'fuzz' }] }),
    frame(ApiKey.METADATA, 9, { topics, allowAutoTopicCreation: false }),
    frame(ApiKey.PRODUCE, 7, { transactionalId: null, acks: 1, timeoutMs: 1000,
      topicData: [{ name: 'fuzz', partitionData: [{ index: 1, records }] }] }),
    frame(ApiKey.PRODUCE, 9, { transactionalId: null, acks: -1, timeoutMs: 1000,
      topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records }] }] }),
    frame(ApiKey.FETCH, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4096,
      isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '',
      topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0n,
        logStartOffset: -1n, partitionMaxBytes: 4096, currentLeaderEpoch: -1 }] }],
      forgottenTopicsData: [] }),
    frame(ApiKey.LIST_OFFSETS, 2, { replicaId: -1, isolationLevel: 0,
      topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }),
    frame(ApiKey.DESCRIBE_CONFIGS, 1, { resources: [{ resourceType: 2, resourceName: 'fuzz',
      configurationKeys: null }], includeSynonyms: false }),
    frame(ApiKey.INIT_PRODUCER_ID, 0, { transactionalId: null, transactionTimeoutMs: 1 }),
    frame(ApiKey.FIND_COORDINATOR, 2, { key: 'g', keyType: 0 }),
    frame(ApiKey.HEARTBEAT, 3, { groupId: 'g', generationId: 1, memberId: 'm',
      groupInstanceId: null }),
    frame(ApiKey.OFFSET_FETCH, 4, { groupId: 'g', topics: [{ name: 'fuzz',
      partitionIndexes: [0, 1] }] }),
    frame(ApiKey.DESCRIBE_GROUPS, 5, { groups: ['g'], includeAuthorizedOperations: false }),
    frame(ApiKey.LIST_GROUPS, 4, { statesFilter: [] }),
    // Transactions, for a transactional id the coordinator does not know (nothing is written).
    frame(ApiKey.FETCH, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4096,
      isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: '',
      topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0n,
        logStartOffset: -1n, partitionMaxBytes: 4096, currentLeaderEpoch: -1 }] }],
      forgottenTopicsData: [] }),
    frame(ApiKey.PRODUCE, 7, { transactionalId: 'tx', acks: -1, timeoutMs: 1000,
      topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: encodeBatch(
        [{ key: null, value: new Uint8Array(8) }],
        { producerId: 9n, producerEpoch: 0, baseSequence: 0, attributes: 0x10 }) }] }] }),
    frame(ApiKey.FIND_COORDINATOR, 2, { key: 'tx', keyType: 1 }),
    frame(ApiKey.ADD_PARTITIONS_TO_TXN, 1, { v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: 9n, v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [{ name: 'fuzz', partitions: [0, 1] }] }),
    frame(ApiKey.ADD_OFFSETS_TO_TXN, 3, { transactionalId: 'tx', producerId: 9n,
      producerEpoch: 0, groupId: 'g' }),
    frame(ApiKey.TXN_OFFSET_COMMIT, 3, { transactionalId: 'tx', groupId: 'g', producerId: 9n,
      producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, committedOffset: 1n,
        committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    frame(ApiKey.END_TXN, 1, { transactionalId: 'tx', producerId: 9n, producerEpoch: 0,
      committed: true }),
    frame(ApiKey.DESCRIBE_TRANSACTIONS, 0, { transactionalIds: ['tx'] }),
    frame(ApiKey.LIST_TRANSACTIONS, 1, { stateFilters: [], producerIdFilters: [],
      durationFilter: -1n }),
  ];
}

/** A seeded PRNG (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mutated {
  bytes: Uint8Array;
  /** The frame claims more bytes than it has: the door waits for the rest, so no answer. */
  claimsMore: boolean;
}

function mutate(base: Uint8Array, next: () => number): Mutated {
  const pick = (n: number) => Math.floor(next() * n);
  const bytes = Uint8Array.from(base);
  const view = new DataView(bytes.buffer);
  const sized = (out: Uint8Array): Mutated => {
    new DataView(out.buffer, out.byteOffset).setInt32(0, out.length - 4);
    return { bytes: out, claimsMore: false };
  };
  switch (pick(10)) {
    case 0: return sized(bytes.slice(0, 4 + pick(bytes.length - 4)));
    case 1: {
      const delta = pick(64) - 32;
      view.setInt32(0, view.getInt32(0) + delta);
      return { bytes, claimsMore: delta > 0 };
    }
    case 2: return sized(Uint8Array.from([...bytes,
      ...Array.from({ length: 1 + pick(16) }, () => pick(256))]));
    case 3: {
      // Any API key but JoinGroup's: a JoinGroup that decodes is parked by the coordinator
      // for its join phase (a second or more, as it should be), and this probe waits for each
      // frame's answer in turn.
      const apiKey = pick(80);
      view.setInt16(4, apiKey === ApiKey.JOIN_GROUP ? ApiKey.HEARTBEAT : apiKey);
      return { bytes, claimsMore: false };
    }
    case 4: view.setInt16(6, pick(40) - 5); return { bytes, claimsMore: false };
    case 5:
      view.setInt32(0, maxRequestBytes + 1 + pick(1000));
      return { bytes, claimsMore: true };
    default:
      for (let i = 0, n = 1 + pick(4); i < n; i++) bytes[4 + pick(bytes.length - 4)] = pick(256);
      return { bytes, claimsMore: false };
  }
}

/**
 * A connection that sends one frame at a time and learns its fate: the answer to a valid
 * sentinel request written right after it (responses come in request order), or the door
 * closing the connection.
 */
class Probe {
  private received = Buffer.alloc(0);
  private waiter: { marker: Buffer; resolve(answered: boolean): void } | undefined;
  isClosed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]).subarray(-256);
      if (this.waiter !== undefined && this.received.includes(this.waiter.marker)) {
        this.waiter.resolve(true);
        this.waiter = undefined;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.isClosed = true;
      this.waiter?.resolve(false);
      this.waiter = undefined;
    });
  }

  static open(): Promise<Probe> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new Probe(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a frame and a sentinel; true when the sentinel was answered, false when closed. */
  send(bytes: Uint8Array, sentinel: Uint8Array, correlation: number): Promise<boolean> {
    const marker = Buffer.alloc(4);
    marker.writeInt32BE(correlation);
    return new Promise((resolve) => {
      this.waiter = { marker, resolve };
      this.socket.write(bytes);
      this.socket.write(sentinel);
    });
  }

  /** Sends a frame that claims more bytes than it has, then hangs up; resolves when closed. */
  async sendAndHangUp(bytes: Uint8Array): Promise<void> {
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.end(bytes);
    await closed;
  }
}

/** One connection's share, one mutated frame at a time; a closed connection is reopened. */
async function fuzzConnection(seed: number, frames: number): Promise<number> {
  const next = random(seed);
  const bases = baseFrames();
  let correlation = seed * 1_000_000;
  let probe = await Probe.open();
  for (let sent = 0; sent < frames; sent++) {
    const mutated = mutate(bases[Math.floor(next() * bases.length)], next);
    if (mutated.claimsMore) {
      await probe.sendAndHangUp(mutated.bytes);
    } else {
      correlation += 1;
      await probe.send(mutated.bytes, frame(ApiKey.API_VERSIONS, 0, {}, correlation),
        correlation);
    }
    if (probe.isClosed) probe = await Probe.open();
  }
  probe.socket.destroy();
  return frames;
}

it(`survives ${framesMin} mutated frames over ${connectionCount} connections`, async () => {
  const counts = await Promise.all(Array.from({ length: connectionCount },
    (_, i) => fuzzConnection(1000 + i, Math.ceil(framesMin / connectionCount))));
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(framesMin);

  const bootstrap = `127.0.0.1:${port}`;
  const produced = await kcat(['-b', bootstrap, '-P', '-t', 'fuzz', '-p', '1', '-K:'],
    'after:fuzz\n');
  expect(produced.code, produced.stderr).toBe(0);
  const consumed = await kcat(['-b', bootstrap, '-C', '-t', 'fuzz', '-p', '1', '-o', '-1', '-e',
    '-f', '%k=%s\\n']);
  expect(consumed.code, consumed.stderr).toBe(0);
  expect(consumed.stdout.trim()).toBe('after=fuzz');
}, 300_000);
