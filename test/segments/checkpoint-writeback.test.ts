/**
 * Checkpoints under flush policy 'none' do not stall the writer behind a blocking msync of all
 * new data: they record the durable offset as it stands, which an asynchronous flush moves. A
 * power cut keeps exactly what was durable, and recovery starts from the recorded point.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, PartitionLog } from '../../src/segments/index.js';
import { buildBatch, payloadFor } from './batch-builder.js';
import { quiet } from './log-harness.js';

describe('checkpoint writeback', () => {
  it('records the durable offset without flushing; an async flush moves it', async () => {
    const storage = new MemoryStorage();
    const options = { storage, segmentSizeBytes: 64 * 1024, log: quiet };
    const log = PartitionLog.open('/data/w-0', options);
    const append = (n: number) => {
      for (let i = 0; i < n; i++) {
        log.append(buildBatch({ recordCount: 2, payload: payloadFor(i, 40) }));
      }
    };
    append(10);
    log.checkpoint();
    expect(log.durableOffset).toBe(0);
    const flushing = log.flushAsync();
    const durable = await flushing;
    expect(durable).toBe(20);
    expect(log.durableOffset).toBe(20);
    append(5);
    log.checkpoint(); // records 20 as the recovery point and flushes nothing
    expect(log.durableOffset).toBe(20);
    expect(log.logEndOffset).toBe(30);
    storage.crash({ unflushed: 'none' }); // a power cut: nothing unflushed survives
    // Exactly the durable prefix: the ten records appended after the flush are gone.
    const reopened = PartitionLog.open('/data/w-0', options);
    expect(reopened.logEndOffset).toBe(20);
    expect(reopened.recovery.checkpointProblem).toBeUndefined();
    reopened.close();
  });

  it('flushes everything first under flush policy batch, and on close', () => {
    const storage = new MemoryStorage();
    const options = {
      storage, segmentSizeBytes: 64 * 1024, log: quiet, flushPolicy: 'batch' as const,
    };
    const log = PartitionLog.open('/data/b-0', options);
    log.append(buildBatch({ recordCount: 3, payload: payloadFor(1, 30) }));
    log.checkpoint();
    expect(log.durableOffset).toBe(3);
    log.append(buildBatch({ recordCount: 3, payload: payloadFor(2, 30) }));
    log.close();
    storage.crash({ unflushed: 'none' });
    const reopened = PartitionLog.open('/data/b-0', options);
    expect(reopened.logEndOffset).toBe(6);
    reopened.close();
  });
});

describe('recovery progress', () => {
  it('reports progress while it scans, so a long recovery is not taken for a hang', () => {
    const storage = new MemoryStorage();
    const options = { storage, segmentSizeBytes: 1024 * 1024, log: quiet };
    const log = PartitionLog.open('/data/p-0', options);
    for (let i = 0; i < 3000; i++) {
      log.append(buildBatch({ recordCount: 1, payload: payloadFor(i, 8) }));
    }
    storage.crash({ unflushed: 'all' }); // a process crash: no close, no new checkpoint
    let calls = 0;
    const reopened = PartitionLog.open('/data/p-0', {
      ...options, onRecoveryProgress: () => calls++,
    });
    expect(reopened.logEndOffset).toBe(3000);
    expect(calls).toBeGreaterThanOrEqual(Math.floor(3000 / 256));
    reopened.close();
  });
});
