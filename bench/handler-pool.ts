/**
 * Handler pool throughput: records of 100 bytes through a piscina pool, sent as one task per
 * batch of a partition (what the pool does) against one task per record (the baseline), in the
 * same run. Run after a build: `node dist/bench/handler-pool.js [recordCount]`.
 */
import { HandlerPool } from '../src/client/handler-pool.js';
import type { HandlerRecord } from '../src/client/handler-pool.js';

const recordCount = Number(process.argv[2] ?? 40_000);
const partitions = 4;
const batchSize = 500;
const handler = new URL('../../bench/noop-handler.mjs', import.meta.url);

function makeRecords(partition: number, count: number): HandlerRecord[] {
  const value = new Uint8Array(100).fill(partition);
  return Array.from({ length: count }, (_, i) => ({ offset: i, timestamp: i, key: null, value }));
}

async function run(recordsPerTask: number): Promise<number> {
  const pool = await HandlerPool.create({ handler, concurrency: 2 });
  const perPartition = recordCount / partitions;
  const inputs = Array.from({ length: partitions }, (_, p) => makeRecords(p, perPartition));
  const started = performance.now();
  await Promise.all(inputs.map(async (records, p) => {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < records.length; i += recordsPerTask) {
      calls.push(pool.process('bench', p, records.slice(i, i + recordsPerTask)));
    }
    await Promise.all(calls);
  }));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return recordCount / (elapsedMs / 1000);
}

const perRecord = await run(1);
const batched = await run(batchSize);
console.log(`handler pool, ${recordCount} records of 100 B, ${partitions} partitions, 2 threads`);
console.log(`  one task per record (baseline): ${(perRecord / 1e3).toFixed(1)} k records/s`);
console.log(`  one task per ${batchSize}-record batch: ${(batched / 1e3).toFixed(1)} k records/s`);
console.log(`  ratio batched / baseline: ${(batched / perRecord).toFixed(1)}x`);
