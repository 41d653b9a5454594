/**
 * Listing and replaying dead letters: `broker.listDeadLetters`, `broker.replayDeadLetters` and
 * `mamba dlq list|replay` (issue 13).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { scanPartition } from '../../src/client/partition-scan.js';
import { tempDir } from '../helpers/temp-dir.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** orders gets 4 records; 'bad-type' fails with a TypeError, 'bad-range' with a RangeError. */
async function deadLettered(dataDir: string): Promise<void> {
  const broker = await Broker.open({ dataDir, actors: 1 });
  try {
    await broker.createTopic('orders', { partitions: 1 });
    const producer = broker.producer({ acks: 'all' });
    await producer.sendBatch('orders', ['ok', 'bad-type', 'bad-range', 'last'].map((value) =>
      ({ key: `k-${value}`, value, headers: { region: 'eu' } })));
    await producer.close();
    const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
    await consumer.subscribe('orders');
    await consumer.run({
      retry: { retries: 0 },
      deadLetter: { topic: 'orders.DLQ' },
      eachMessage: (m) => {
        const value = m.value!.toString();
        if (value === 'bad-type') throw new TypeError('no type');
        if (value === 'bad-range') throw new RangeError('out of range');
        if (value === 'last') void consumer.close();
      },
    });
    await consumer.close();
  } finally {
    await broker.close();
  }
}

function values(broker: Broker, topic: string): Array<[string, string | undefined]> {
  const internal = broker as unknown as { controlBlock: never; directory: never };
  const out: Array<[string, string | undefined]> = [];
  scanPartition({ controlBlock: internal.controlBlock, directory: internal.directory,
    dataDir: broker.dataDir }, topic, 0, 0, (m) => {
    out.push([m.value!.toString(), m.headers['mamba.dlq.replayed.from']?.toString()]);
  });
  return out;
}

describe('dead-letter replay', () => {
  it('lists and replays through the broker, filtered by where', async () => {
    const dataDir = tempDir();
    await deadLettered(dataDir);
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      const all = broker.listDeadLetters({ topic: 'orders.DLQ' });
      expect(all.map((l) => l.value)).toEqual(['bad-type', 'bad-range']);
      expect(all[0].headers['mamba.dlq.error.class']).toBe('TypeError');
      const ranges = broker.listDeadLetters({ topic: 'orders.DLQ',
        where: "mamba.dlq.error.class = 'RangeError' AND region = 'eu'" });
      expect(ranges.map((l) => l.value)).toEqual(['bad-range']);
      await broker.createTopic('orders.retried', { partitions: 2 });
      const result = await broker.replayDeadLetters({ topic: 'orders.DLQ', to: 'orders.retried',
        where: { key: { prefix: 'k-bad-t' } } });
      expect(result).toEqual({ replayed: 1, byTopic: { 'orders.retried': 1 } });
      const missing = await broker.replayDeadLetters({ topic: 'orders.DLQ', to: 'nope' })
        .then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(missing, 'UNKNOWN_TOPIC')).toBe(true);
    } finally {
      await broker.close();
    }
  });

  it('mamba dlq list and replay', async () => {
    const dataDir = tempDir();
    await deadLettered(dataDir);
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'dlq', ...args,
      '--data-dir', dataDir, '--topic', 'orders.DLQ'], { encoding: 'utf8' });
    const list = run('list', '--json');
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { value: string });
    expect(lines.map((l) => l.value)).toEqual(['bad-type', 'bad-range']);
    const text = run('list');
    expect(text.stdout).toContain('from orders/0@1  attempts 1  TypeError: no type');
    expect(text.stdout).toContain('2 dead letter(s) in orders.DLQ');
    const replay = run('replay', '--where', "mamba.dlq.error.class = 'TypeError'");
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('replayed 1 dead letter(s) (orders: 1)');
    const bad = run('list', '--where', 'region =');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('at position 8');
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      expect(values(broker, 'orders')).toEqual([['ok', undefined], ['bad-type', undefined],
        ['bad-range', undefined], ['last', undefined], ['bad-type', 'orders.DLQ/0@0']]);
    } finally {
      await broker.close();
    }
  });
});
