/**
 * Test helpers for delayed delivery: read a topic's records with their headers and timestamps
 * straight from a closed data directory, and wait for the delay service to run dry.
 */
import path from 'node:path';
import type { Broker } from '../../src/index.js';
import { PartitionLog } from '../../src/segments/index.js';
import { forEachRecord, readBatchHeader } from '../../src/records/index.js';

export interface DeliveredRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

const decoder = new TextDecoder();

export function readDelivered(dataDir: string, topic: string, partitions: number):
DeliveredRecord[] {
  const records: DeliveredRecord[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const log = PartitionLog.open(path.join(dataDir, `${topic}-${partition}`), { log: () => {} });
    try {
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const bytes = log.read(offset, 1 << 20);
        let position = 0;
        while (position < bytes.length) {
          const header = readBatchHeader(bytes, position);
          forEachRecord(bytes, position, (record) => {
            records.push({
              partition, offset: record.offset, timestamp: record.timestamp,
              key: record.key === null ? null : decoder.decode(record.key),
              value: decoder.decode(record.value ?? new Uint8Array(0)),
              headers: Object.fromEntries(record.headers.map(([k, v]) => [k, decoder.decode(v)])),
            });
          });
          position += header.sizeBytes;
          offset = header.baseOffset + header.lastOffsetDelta + 1;
        }
      }
    } finally {
      log.close();
    }
  }
  return records;
}

/** Resolves once nothing is pending or in flight in the delay service (polled, bounded). */
export async function delayServiceDrained(broker: Broker, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = broker.delayStats()!;
    if (stats.pendingCount === 0 && stats.inFlightCount === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`delay service not drained after ${timeoutMs} ms: ${JSON.stringify(stats)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
