/**
 * The transaction coordinator across a SIGKILL of the broker process (a real child,
 * test/transactions/fixtures/txn-crash-child.ts) inside a commit: after Prepare was durable,
 * after the first marker, after the offsets were applied. The reopened broker finishes the
 * commit: every record of the transaction becomes visible to read_committed, exactly once,
 * the group's offset is applied, and the transactional id keeps its producer id.
 */
import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/index.js';
import type { TxnStepPoint } from '../../src/transactions/index.js';
import { workerUrl } from '../../src/worker-url.js';
import { tempDir } from '../helpers/temp-dir.js';

const decoder = new TextDecoder();

async function runChildUntilKilled(dataDir: string, point: TxnStepPoint | 'ongoing'):
Promise<string[]> {
  const entry = fileURLToPath(workerUrl('./fixtures/txn-crash-child.js', import.meta.url));
  const child = fork(entry, [dataDir, point], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const said: string[] = [];
  child.on('message', (message: string) => said.push(message));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('exit', (_code, exitSignal) => resolve(exitSignal));
  });
  expect(signal).toBe('SIGKILL');
  return said;
}

async function readCommitted(broker: Broker, topic: string, count: number): Promise<string[]> {
  const consumer = broker.consumer({ fromBeginning: true, isolation: 'read_committed' });
  await consumer.subscribe(topic);
  const values: string[] = [];
  for await (const message of consumer) {
    values.push(decoder.decode(message.value!));
    if (values.length === count) break;
  }
  await consumer.close();
  return values;
}

describe('the transaction coordinator across a SIGKILL inside a commit', () => {
  it.each(['prepared', 'marker-written', 'offsets-applied'] as const)(
    'completes the commit on reopen when killed at %s', async (point) => {
      const dataDir = tempDir();
      expect(await runChildUntilKilled(dataDir, point)).toEqual(['committing']);
      const broker = await Broker.open({ dataDir, actors: 1 });
      try {
        const deadline = Date.now() + 15_000;
        while ((await broker.describeTransaction('crash-tx'))?.state !== 'CompleteCommit') {
          if (Date.now() > deadline) throw new Error('the commit was not completed');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(broker.committedOffset('g', 'in', 0)).toBe(5);
        // Every record once, and nothing past them: a plain record after them is the 31st.
        await broker.producer().send('out', { partition: 0, value: 'after' });
        const values = await readCommitted(broker, 'out', 31);
        expect(values.filter((v) => v !== 'after').sort()).toEqual(
          Array.from({ length: 30 }, (_, i) => `out${i}`).sort());
        expect(values).toContain('after');
        const { partitions } = await broker.describeTopic('out');
        const described = await broker.describeTransaction('crash-tx');
        // Each partition got its marker: the reader reached every high-watermark.
        expect(partitions.map((p) => p.highWatermark).reduce((a, b) => a + b, 0))
          .toBeGreaterThanOrEqual(31 + 3);
        const producer = broker.producer({ transactionalId: 'crash-tx' });
        const next = await producer.transaction();
        await next.send('out', { partition: 1, value: 'next' });
        await next.commit();
        const after = (await broker.describeTransaction('crash-tx'))!;
        expect(after.producerId).toBe(described!.producerId);
        expect(after.producerEpoch).toBe(described!.producerEpoch + 1);
      } finally {
        await broker.close();
      }
    });

  it('aborts on reopen a transaction left open by the kill once its timeout passed', async () => {
    const dataDir = tempDir();
    expect(await runChildUntilKilled(dataDir, 'ongoing')).toEqual([]);
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      const deadline = Date.now() + 15_000;
      while ((await broker.describeTransaction('crash-tx'))?.state !== 'CompleteAbort') {
        if (Date.now() > deadline) throw new Error('the open transaction was not aborted');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(broker.committedOffset('g', 'in', 0)).toBeUndefined();
      await broker.producer().send('out', { partition: 2, value: 'after' });
      expect(await readCommitted(broker, 'out', 1)).toEqual(['after']);
    } finally {
      await broker.close();
    }
  });
});
