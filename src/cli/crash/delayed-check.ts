/**
 * The checker of the crash test's delayed messages (`--delayed`): what the harness knows was
 * acknowledged (id → due time) against what a fresh consumer group reads from the delayed
 * topic once everything is due. Per message:
 *
 * | outcome     | meaning                                                           | verdict   |
 * | ----------- | ----------------------------------------------------------------- | --------- |
 * | lost        | acknowledged, never delivered                                     | violation |
 * | duplicated  | delivered to the group more than once (another offset, same id)  | violation |
 * | early       | stored with a timestamp before its due time, or a due time that   | violation |
 * |             | is not the one acknowledged                                       |           |
 * | unexpected  | not a message of this run                                         | violation |
 * | unacknowledgedFound | sent, no ack reached the harness, delivered once          | fine      |
 *
 * The group drops repeats of a (partition, offset) it has already seen (a handover inside the
 * group repeats a stretch: at-least-once, not a duplicate), so a duplicate here is a second
 * copy in the log, which every group would see.
 */
import { randomUUID } from 'node:crypto';
import { Broker } from '../../broker.js';
import type { ConsumedBatch } from '../../client/index.js';

export interface DelayedCheck {
  acknowledged: number;
  delivered: number;
  lost: number;
  duplicated: number;
  early: number;
  unexpected: number;
  unacknowledgedFound: number;
  /** How late deliveries were stored after their due time, in ms (p50, p99, max). */
  latenessMs: { p50: number; p99: number; max: number };
  violationCount: number;
  examples: string[];
}

const decoder = new TextDecoder();
const stallTimeoutMs = 30_000;
const examplesMax = 10;

export async function checkDelayed(dataDir: string, topic: string, runId: number,
  acked: ReadonlyMap<number, number>): Promise<DelayedCheck> {
  // A checker's broker never restarts an actor: no warm standbys to load.
  const broker = await Broker.open({ dataDir, restart: { standby: false } });
  const copies = new Map<number, number>();
  const lateness: number[] = [];
  const examples: string[] = [];
  const note = (line: string) => { if (examples.length < examplesMax) examples.push(line); };
  const check: DelayedCheck = {
    acknowledged: acked.size, delivered: 0, lost: 0, duplicated: 0, early: 0, unexpected: 0,
    unacknowledgedFound: 0, latenessMs: { p50: 0, p99: 0, max: 0 }, violationCount: 0, examples,
  };
  try {
    // The reopened broker's delay service delivers whatever the last process left due.
    await waitDrained(broker);
    const visit = (batch: ConsumedBatch) => {
      for (const message of batch.messages) {
        check.delivered++;
        const [run, idText] = decoder.decode(message.value ?? new Uint8Array(0)).split(':');
        const id = Number(idText);
        const dueMs = Number(decoder.decode(message.headers['mamba.delay.due'] ??
          new Uint8Array(0)));
        if (Number(run) !== runId || !Number.isSafeInteger(id)) {
          check.unexpected++;
          note(`unexpected record at ${batch.partition}/${message.offset}`);
          continue;
        }
        copies.set(id, (copies.get(id) ?? 0) + 1);
        if (copies.get(id)! > 1) {
          check.duplicated++;
          note(`message ${id} delivered again at ${batch.partition}/${message.offset}`);
        }
        const ackedDueMs = acked.get(id);
        if (message.timestamp < dueMs || (ackedDueMs !== undefined && ackedDueMs !== dueMs)) {
          check.early++;
          note(`message ${id} stored at ${message.timestamp}, due ${ackedDueMs ?? dueMs}`);
        }
        lateness.push(message.timestamp - dueMs);
      }
    };
    await readGroup(broker, topic, visit);
  } finally {
    await broker.close();
  }
  for (const [id] of acked) {
    if (!copies.has(id)) {
      check.lost++;
      note(`message ${id} acknowledged (due ${acked.get(id)}), never delivered`);
    }
  }
  for (const id of copies.keys()) if (!acked.has(id)) check.unacknowledgedFound++;
  lateness.sort((a, b) => a - b);
  const at = (q: number) =>
    lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0;
  check.latenessMs = { p50: at(0.5), p99: at(0.99), max: lateness[lateness.length - 1] ?? 0 };
  check.violationCount = check.lost + check.duplicated + check.early + check.unexpected;
  return check;
}

async function waitDrained(broker: Broker): Promise<void> {
  const deadline = Date.now() + stallTimeoutMs;
  for (;;) {
    const stats = broker.delayStats();
    if (stats === undefined || (stats.pendingCount === 0 && stats.inFlightCount === 0)) return;
    if (Date.now() > deadline) return; // What is undelivered shows as lost.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One fresh group reads the topic from the beginning up to its high-watermarks (no repeats). */
export async function readGroup(broker: Broker, topic: string,
  visit: (batch: ConsumedBatch) => void, groupId = `crash-delayed-${randomUUID()}`):
  Promise<void> {
  const description = await broker.describeTopic(topic);
  const ends = description.partitions.map((p) => p.highWatermark);
  const next = description.partitions.map((p) => p.logStartOffset);
  const member = broker.consumer({ groupId, fromBeginning: true });
  await member.subscribe(topic);
  const run = member.run({
    eachBatch: async (batch) => {
      const fresh = batch.messages.filter((m) => m.offset >= next[batch.partition]);
      if (fresh.length === 0) return;
      next[batch.partition] = fresh[fresh.length - 1].offset + 1;
      visit({ ...batch, messages: fresh });
    },
  });
  let progress = -1;
  let progressMs = Date.now();
  while (!next.every((offset, p) => offset >= ends[p])) {
    const total = next.reduce((sum, n) => sum + n, 0);
    if (total !== progress) {
      progress = total;
      progressMs = Date.now();
    } else if (Date.now() - progressMs > stallTimeoutMs) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await member.close();
  await run;
}
