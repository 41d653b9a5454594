import { expect, it } from 'vitest';
import { measureAppendCeiling } from '../../bench/harness/append-ceiling.js';

it('measures the append ceiling beside its copy + CRC32C baseline, with CPU time per batch',
  async () => {
    const ceiling = await measureAppendCeiling({
      valueSizeBytes: 100, recordsPerBatch: 100, warmupMs: 20, durationMs: 150,
    });
    expect(ceiling.recordCount % 100).toBe(0);
    expect(ceiling.recordCount).toBeGreaterThan(0);
    expect(ceiling.recordsPerSec).toBeCloseTo(ceiling.recordCount / (ceiling.elapsedMs / 1000));
    const batches = ceiling.recordCount / 100;
    expect(ceiling.microsPerBatch).toBeCloseTo(ceiling.elapsedMs * 1000 / batches);
    expect(ceiling.baselineRecordsPerSec).toBeGreaterThan(0);
    expect(ceiling.rollCount).toBeGreaterThanOrEqual(ceiling.preparedRollCount);
    if (process.platform === 'linux') {
      // The thread's own CPU time: positive, and never more than the wall time it was within.
      expect(ceiling.cpuMicrosPerBatch).toBeGreaterThan(0);
      expect(ceiling.cpuMicrosPerBatch).toBeLessThanOrEqual(ceiling.microsPerBatch);
      expect(ceiling.baselineCpuMicrosPerBatch).toBeGreaterThan(0);
    }
  });
