/** Helpers of the consumer tests: a broker in a temp dir, keyed produce, collecting consumes. */
import { Broker, type ConsumedMessage, type Consumer } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const decoder = new TextDecoder();

export interface Seen {
  partition: number;
  offset: number;
  value: string;
}

export async function openBroker(dataDir = tempDir()): Promise<Broker> {
  return Broker.open({ dataDir, actors: 2 });
}

/** Sends `count` records spread over `partitions`, value `p<partition>-<i>`; in batches. */
export async function produce(broker: Broker, topic: string, partitions: number, count: number,
  label = 'v'): Promise<void> {
  const producer = broker.producer({ acks: 1 });
  for (let start = 0; start < count; start += 500) {
    const messages = Array.from({ length: Math.min(500, count - start) }, (_, j) => {
      const i = start + j;
      return { partition: i % partitions, value: `${label}${i}`, headers: { n: String(i) } };
    });
    await producer.sendBatch(topic, messages);
  }
  await producer.close();
}

export function seen(m: ConsumedMessage): Seen {
  return { partition: m.partition, offset: m.offset, value: decoder.decode(m.value!) };
}

/**
 * Takes `count` messages from the consumer's iterator, then breaks out. Leaving the loop does not
 * count the record it was on as processed, so with a group the last one is committed before the
 * `break` (the README's way of saying "this one is done too").
 */
export async function take(consumer: Consumer, count: number): Promise<Seen[]> {
  const out: Seen[] = [];
  if (count === 0) return out;
  for await (const m of consumer) {
    out.push(seen(m));
    if (out.length < count) continue;
    if (consumer.groupId !== undefined) {
      await consumer.commit([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }]);
    }
    break;
  }
  return out;
}

export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : decoder.decode(bytes);
}

/** Polls `condition` (bounded by `timeoutMs`) for state no event announces. */
export async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
