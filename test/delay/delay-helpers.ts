/**
 * Test helpers for delayed delivery: read a topic's records with their headers and timestamps
 * straight from a closed data directory, and wait for the delay service to run dry.
 */
import type { Broker } from '../../src/index.js';
import { forEachStoredRecord } from '../helpers/log-contents.js';

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
    forEachStoredRecord(dataDir, topic, partition, (record) => {
      records.push({
        partition, offset: record.offset, timestamp: record.timestamp,
        key: record.key === null ? null : decoder.decode(record.key),
        value: decoder.decode(record.value ?? new Uint8Array(0)),
        headers: Object.fromEntries(record.headers.map(([k, v]) => [k, decoder.decode(v)])),
      });
    });
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
