// A commit whose endTxn failed (the coordinator's Prepare record could not be written: its log
// partition's actor was down) leaves the coordinator's transaction Ongoing. The producer's next
// transaction must not continue that one: its records would then commit together with the
// failed attempt's, which the caller was told had failed (a retried batch committed twice).
// The real TransactionManager and TransactionCoordinator, an in-memory log and markers.
import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import { TransactionManager } from '../../src/client/transaction.js';
import {
  TransactionCoordinator, emptyTransactionLog, type TxnMarker,
} from '../../src/transactions/index.js';

describe('a transaction after a failed commit', () => {
  it('asks for a new epoch, so the failed attempt is aborted, not continued', async () => {
    let logFailures = 0;
    const markers: { partition: number; marker: TxnMarker }[] = [];
    const coordinator = TransactionCoordinator.start({
      loaded: emptyTransactionLog(),
      log: {
        append: async () => {
          if (logFailures > 0) {
            logFailures--;
            throw new MambaError('TIMEOUT', 'the transaction log partition is restarting',
              { retriable: true });
          }
        },
      },
      markers: {
        writeTxnMarker: async (_topic, partition, marker) => {
          markers.push({ partition, marker });
          return { offset: markers.length };
        },
      },
      offsets: { commit: async () => undefined },
      partitionCount: (topic) => (topic === 'out' ? 2 : undefined),
    });
    // Stands for the producer: a send registers its partition, as producer.ts does.
    const manager: TransactionManager = new TransactionManager(coordinator, 'worker-1', 60_000, {
      send: () => manager.track([], async () => {
        await manager.register('out', [0]);
        return { topic: 'out', partition: 0, offset: 0 };
      }),
      sendBatch: async () => [],
      flush: async () => undefined, setIdentity: () => undefined,
    });

    const first = await manager.begin();
    await first.send('out', { value: 'attempt 1' });
    logFailures = 1; // the Prepare record fails
    await expect(first.commit()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await coordinator.describe('worker-1'))?.state).toBe('Ongoing');

    const second = await manager.begin();
    await second.send('out', { value: 'attempt 2' });
    await second.commit();

    // The first attempt's partition got an abort marker before the second transaction began,
    // and the commit marker is of the new epoch only.
    expect(markers.map(({ partition, marker }) => [partition, marker.commit,
      marker.producerEpoch])).toEqual([[0, false, 1], [0, true, 1]]);
    await coordinator.close();
  });
});
