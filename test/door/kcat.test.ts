/**
 * kcat (librdkafka 2.x, which opens with ApiVersions v3, flexible) against a broker's Kafka
 * door: `kcat -L`, produce → consume with keys, headers and null values, each of Kafka's four
 * compression codecs stored as the client compressed it, auto-create, ListOffsets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { LogReader } from '../../src/segments/index.js';
import { ATTRIBUTES_OFFSET, batchSizeBytesAt } from '../../src/records/index.js';
import { kcat, requireKcat } from './kcat.js';

let broker: Broker;
let bootstrap: string;
let dataDir: string;

beforeAll(async () => {
  requireKcat();
  // One broker for the file (tempDir() would remove the directory after the first test).
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-kcat-'));
  broker = await Broker.open({ dataDir, actors: 2, autoCreateTopics: true });
  const door = await broker.listen({ host: '127.0.0.1', port: 0 });
  bootstrap = `127.0.0.1:${door.address().port}`;
});

afterAll(async () => {
  await broker?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('kcat through the door', () => {
  it('kcat -L lists the broker and every topic with its partitions', async () => {
    await broker.createTopic('listed', { partitions: 2 });
    const result = await kcat(['-b', bootstrap, '-L']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`broker 0 at ${bootstrap} (controller)`);
    expect(result.stdout).toMatch(/topic "listed" with 2 partitions:/);
    expect(result.stdout).toMatch(/partition 1, leader 0, replicas: 0, isrs: 0/);
  });

  it('round-trips keys, headers and null values, auto-creating the topic', async () => {
    const produced = await kcat(['-b', bootstrap, '-P', '-t', 'kv', '-p', '0', '-K:', '-Z',
      '-H', 'trace=abc'], 'k1:v1\nk2:\n:v3\n');
    expect(produced.code, produced.stderr).toBe(0);
    expect((await broker.describeTopic('kv')).partitions).toHaveLength(3);
    const consumed = await kcat(['-b', bootstrap, '-C', '-t', 'kv', '-p', '0', '-o', 'beginning',
      '-e', '-Z', '-f', '%o|%k|%s|%h|%S\\n']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual([
      '0|k1|v1|trace=abc|2', '1|k2|NULL|trace=abc|-1', '2|NULL|v3|trace=abc|2',
    ]);
  });

  it.each([['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]])(
    'stores a %s batch compressed as sent and serves it back', async (codec, bits) => {
      const topic = `z-${codec}`;
      const values = Array.from({ length: 50 }, (_, i) => `${codec}-${i}`.repeat(5));
      const produced = await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec,
        '-X', 'linger.ms=200'], `${values.join('\n')}\n`);
      expect(produced.code, produced.stderr).toBe(0);
      // librdkafka sends a batch uncompressed when compressing does not make it smaller (a
      // first batch of one message under load): at least one batch must be stored compressed.
      const reader = LogReader.open(path.join(dataDir, `${topic}-0`));
      const stored = reader.read(0, 1 << 20, 50);
      const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
      const codecs: number[] = [];
      for (let at = 0; at < stored.length; at += batchSizeBytesAt(view, at)) {
        codecs.push(view.getInt16(at + ATTRIBUTES_OFFSET) & 7);
      }
      expect(codecs).toContain(bits);
      const consumed = await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o',
        'beginning', '-e', '-f', '%s\\n']);
      expect(consumed.stdout.trim().split('\n')).toEqual(values);
    });

  it('answers ListOffsets: earliest, latest and by timestamp', async () => {
    await broker.createTopic('times', { partitions: 1 });
    const producer = broker.producer({ acks: 'all', lingerMs: 0 });
    // One batch, so the answer must come from inside it.
    await producer.sendBatch('times', [
      { value: 'a', timestamp: 1_000 }, { value: 'b', timestamp: 2_000 },
      { value: 'c', timestamp: 3_000 },
    ]);
    await producer.close();
    const query = async (spec: string) => {
      const result = await kcat(['-b', bootstrap, '-Q', '-t', spec]);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    expect(await query('times:0:1500')).toBe('times [0] offset 1');
    expect(await query('times:0:3000')).toBe('times [0] offset 2');
    expect(await query('times:0:-2')).toBe('times [0] offset 0');
    expect(await query('times:0:-1')).toBe('times [0] offset 3');
    expect(await query('times:0:9000')).toBe('times [0] offset -1');
  });
});
