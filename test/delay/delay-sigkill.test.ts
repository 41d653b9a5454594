/**
 * Delayed delivery across a SIGKILL of the broker process (a real child, test/delay/fixtures/
 * delay-child.ts): killed while messages are parked, and killed while it is delivering them.
 * After a reopen, every acknowledged delayed message is in its topic exactly once, never
 * before its due time; unacknowledged ones at most once.
 */
import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/index.js';
import type { DelayStats } from '../../src/delay/index.js';
import { workerUrl } from '../../src/worker-url.js';
import { tempDir } from '../helpers/temp-dir.js';
import { delayServiceDrained, readDelivered } from './delay-helpers.js';

interface ChildReport {
  acked: Array<[number, number]>;
  stats: DelayStats;
}

/** Runs the child until `killWhen` says so, SIGKILLs it; returns the acknowledged due times. */
async function runAndKill(dataDir: string, delayMsMin: number, delayMsMax: number,
  killWhen: (acked: number, stats: DelayStats) => boolean): Promise<Map<number, number>> {
  const entry = fileURLToPath(workerUrl('./fixtures/delay-child.js', import.meta.url));
  const child = fork(entry, [dataDir, String(delayMsMin), String(delayMsMax)],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const acked = new Map<number, number>();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('exit', (_code, signal) => resolve(signal));
  });
  await new Promise<void>((resolve) => {
    child.on('message', (report: ChildReport) => {
      for (const [id, dueMs] of report.acked) acked.set(id, dueMs);
      if (killWhen(acked.size, report.stats)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  expect(await exited).toBe('SIGKILL');
  return acked;
}

async function reopenAndCheck(dataDir: string, acked: Map<number, number>): Promise<DelayStats> {
  const broker = await Broker.open({ dataDir, actors: 1 });
  let stats: DelayStats;
  try {
    await delayServiceDrained(broker);
    stats = broker.delayStats()!;
  } finally {
    await broker.close();
  }
  const stored = readDelivered(dataDir, 'timed', 2);
  const copies = new Map<number, number>();
  for (const record of stored) {
    const id = Number(record.headers.id);
    copies.set(id, (copies.get(id) ?? 0) + 1);
    expect(record.value).toBe(`m${id}`);
    expect(record.timestamp).toBeGreaterThanOrEqual(Number(record.headers['mamba.delay.due']));
  }
  for (const [id, dueMs] of acked) {
    expect(copies.get(id), `acknowledged message ${id}`).toBe(1);
    expect(Number(stored.find((r) => r.headers.id === String(id))!.headers['mamba.delay.due']))
      .toBe(dueMs);
  }
  for (const count of copies.values()) expect(count).toBe(1);
  return stats;
}

describe('delayed delivery across a SIGKILL of the broker process', () => {
  it('loses no parked message killed before any was due', async () => {
    const dataDir = tempDir();
    const acked = await runAndKill(dataDir, 2_000, 2_500,
      (count, stats) => count >= 1_000 && stats.deliveredCount === 0);
    expect(acked.size).toBeGreaterThanOrEqual(1_000);
    await reopenAndCheck(dataDir, acked);
  });

  it('neither loses nor repeats a message when killed while delivering', async () => {
    const dataDir = tempDir();
    // Short delays: deliveries run all the time, so the kill lands between checkpoints with
    // deliveries made since the last one, and some in flight.
    const acked = await runAndKill(dataDir, 0, 300,
      (_count, stats) => stats.deliveredCount >= 3_000 &&
        stats.inFlightCount + stats.pendingCount > 0);
    const stats = await reopenAndCheck(dataDir, acked);
    // Recovery found deliveries made after the last checkpoint and did not send them again.
    expect(stats.recoveredDeliveries).toBeGreaterThan(0);
  });
});
