import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import type { Broker, ConsumerOptions, TopicPartition } from '../../src/index.js';
import { openBroker, produce } from './helpers.js';

const workerFile = new URL('./workers/group-member.mjs', import.meta.url);
const partitions = 6;
const perPartition = 1000;

/** A group member in a worker thread, with what it has processed and its latest assignment. */
class Member {
  readonly worker: Worker;
  readonly hits = new Int32Array(new SharedArrayBuffer(4 * partitions * perPartition));
  readonly counts = new Int32Array(new SharedArrayBuffer(8));
  assignment: TopicPartition[] = [];
  exited: Promise<unknown>;

  constructor(broker: Broker, options: ConsumerOptions) {
    const handle = broker.consumerHandle(options);
    this.worker = new Worker(workerFile, {
      workerData: { handle, topic: 'g', perPartition, hits: this.hits, counts: this.counts },
    });
    this.worker.on('message', (message: { type: string; assignment?: TopicPartition[] }) => {
      if (message.type === 'assignment') this.assignment = message.assignment!;
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.exited;
  }
}

function total(members: Member[], index: number): number {
  return members.reduce((sum, m) => sum + m.hits[index], 0);
}

async function settle(members: Member[], sizes: number[]): Promise<void> {
  await vi.waitFor(() => {
    expect(members.map((m) => m.assignment.length)).toEqual(sizes);
    const owned = members.flatMap((m) => m.assignment.map((tp) => tp.partition));
    expect(new Set(owned).size).toBe(partitions);
  }, { timeout: 30_000, interval: 20 });
}

async function processed(members: Member[], count: number): Promise<void> {
  await vi.waitFor(() => {
    let done = 0;
    for (let i = 0; i < partitions * perPartition; i++) if (total(members, i) > 0) done++;
    expect(done).toBe(count);
  }, { timeout: 30_000, interval: 20 });
}

describe('a consumer group in worker threads', () => {
  it('shares partitions, rebalances on join and leave, processes each record once', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('g', { partitions, segmentBytes: 1 << 20 });
      const options = { groupId: 'workers', fromBeginning: true, sessionTimeoutMs: 5_000 };
      const a = new Member(broker, options);
      await settle([a], [6]);
      await produce(broker, 'g', partitions, 1200);
      const b = new Member(broker, options);
      const c = new Member(broker, options);
      const members = [a, b, c];
      await settle(members, [2, 2, 2]);
      await produce(broker, 'g', partitions, 1800, 'w');
      // 3000 records in all, 500 per partition: offsets 0..499 of each.
      await processed(members, 3000);
      expect(members.every((m) => m.counts[0] > 0)).toBe(true);
      await c.close();
      await settle([a, b], [3, 3]);
      await produce(broker, 'g', partitions, 600, 'z');
      await processed([a, b, c], 3600);
      for (let p = 0; p < partitions; p++) {
        for (let o = 0; o < 600; o++) expect(total(members, p * perPartition + o)).toBe(1);
      }
      await Promise.all([a.close(), b.close()]);
      for (let p = 0; p < partitions; p++) {
        expect(broker.committedOffset('workers', 'g', p)).toBe(600);
      }
    } finally {
      await broker.close();
    }
  });

  it("moves a killed member's partitions and redelivers what it did not commit", async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('g', { partitions, segmentBytes: 1 << 20 });
      const base = {
        groupId: 'killed', fromBeginning: true, sessionTimeoutMs: 1_500,
        heartbeatIntervalMs: 200,
      };
      const a = new Member(broker, base);
      const b = new Member(broker, base);
      const victim = new Member(broker, { ...base, autoCommit: false });
      await settle([a, b, victim], [2, 2, 2]);
      const victimPartitions = victim.assignment.map((tp) => tp.partition);
      await produce(broker, 'g', partitions, 3000);
      await processed([a, b, victim], 3000);
      expect(victim.counts[0]).toBe(1000);
      await victim.worker.terminate();
      // Within the session timeout the group expels it and its partitions move.
      await settle([a, b], [3, 3]);
      const survivors = [a, b];
      await processed(survivors, 3000);
      for (const p of victimPartitions) {
        for (let o = 0; o < 500; o++) {
          expect(victim.hits[p * perPartition + o]).toBe(1);
          expect(total(survivors, p * perPartition + o)).toBe(1);
        }
      }
      await Promise.all([a.close(), b.close()]);
    } finally {
      await broker.close();
    }
  });
});
