/**
 * Issue 16, item 4 with a real process: a broker process is SIGKILLed with a transaction open;
 * the next broker on its data directory holds the last stable offset at that transaction's
 * first offset, keeps the earlier abort, and a later abort marker lands in the aborted index.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { readAbortedTransactions } from '../../src/segments/index.js';
import { workerUrl } from '../../src/worker-url.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender, highWatermark, lastStableOffset } from './helpers.js';

async function runAndKill(dataDir: string): Promise<void> {
  const entry = fileURLToPath(workerUrl('./fixtures/txn-child.js', import.meta.url));
  const child = fork(entry, [dataDir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('exit', (_code, signal) => resolve(signal));
  });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('a broker process killed with a transaction open', () => {
  it('comes back with the LSO held and the aborts indexed', async () => {
    const dataDir = tempDir();
    await runAndKill(dataDir);
    const broker = await Broker.open({ dataDir, actors: 1, delayedDelivery: false });
    try {
      const dir = path.join(dataDir, 't-0');
      expect(highWatermark(broker, 't', 0)).toBe(5);
      expect(lastStableOffset(broker, 't', 0)).toBe(1);
      expect(readAbortedTransactions(dir, 0, 10)).toEqual([
        { producerId: 5002, firstOffset: 3, lastOffset: 4 },
      ]);
      expect(await new TxnSender(broker, 5001).marker('t', 0, false)).toEqual({ offset: 5 });
      expect(lastStableOffset(broker, 't', 0)).toBe(6);
      expect(readAbortedTransactions(dir, 0, 10).map((e) => [e.producerId, e.firstOffset]))
        .toEqual([[5002, 3], [5001, 1]]);
      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe('t');
      const seen: Array<[number, string]> = [];
      for await (const m of consumer) {
        seen.push([m.offset, m.value!.toString()]);
        if (seen.length === 2) break;
      }
      await consumer.close();
      expect(seen).toEqual([[0, 'p0'], [2, 'p2']]);
    } finally {
      await broker.close();
    }
  });
});
