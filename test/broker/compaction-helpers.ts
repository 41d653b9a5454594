/** Shared by the broker's compaction tests: keyed updates in, a consumer's table out. */
import fs from 'node:fs';
import path from 'node:path';
import type { Broker, Consumer } from '../../src/index.js';

export const keyCount = 10_000;
const sendBatchRecords = 2_000;

/** Sends updates `[first, last)`: update i sets `k<i % keyCount>` to `v<i>`. */
export async function sendUpdates(open: Broker, topic: string, first: number, last: number):
  Promise<void> {
  const producer = open.producer({ acks: 1 });
  const sends: Promise<unknown>[] = [];
  for (let start = first; start < last; start += sendBatchRecords) {
    const records = [];
    for (let i = start; i < Math.min(last, start + sendBatchRecords); i += 1) {
      records.push({ key: `k${i % keyCount}`, value: `v${i}`, partition: 0 });
    }
    sends.push(producer.sendBatch(topic, records));
    if (sends.length >= 64) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
}

export interface Read {
  table: Map<string, string>;
  offsets: number[];
}

/**
 * A consumer from `fromOffset` up to `lastOffset` (default: the last offset below the
 * high-watermark, which is the last record unless the cleaner removed it): the table it builds,
 * and the offsets it saw.
 */
export async function readTable(open: Broker, topic: string, fromOffset = 0, lastOffset?: number):
  Promise<Read> {
  const end = lastOffset === undefined
    ? (await open.describeTopic(topic)).partitions[0].highWatermark : lastOffset + 1;
  const consumer: Consumer = open.consumer({ fromBeginning: true });
  await consumer.subscribe(topic);
  consumer.seek(topic, 0, fromOffset);
  const table = new Map<string, string>();
  const offsets: number[] = [];
  for await (const message of consumer) {
    offsets.push(message.offset);
    const key = message.key!.toString();
    if (message.value === null) table.delete(key);
    else table.set(key, message.value.toString());
    if (message.offset === end - 1) break;
  }
  await consumer.close();
  return { table, offsets };
}

export function diskBytes(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).blocks * 512;
  return total;
}
