/**
 * Issue 10 gap 4: an actor that is alive but stuck — spinning in an endless loop, or blocked in
 * an `Atomics.wait` nobody notifies — stops its heartbeat. The supervisor terminates it once
 * `heartbeatDeadlineMs` passed without one, restarts it, and nothing acknowledged is lost: the
 * frames it had appended but not acknowledged are replayed and recognised as duplicates.
 */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import type { ActorExitEvent } from '../../src/supervisor/supervisor.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const heartbeatDeadlineMs = 1_000;

describe('a hung actor', () => {
  it.each(['hang', 'hang-wait'] as const)('%s: terminated at the heartbeat deadline, restarted, ' +
    'nothing acknowledged lost', async (mode) => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1, heartbeatDeadlineMs });
    await broker.createTopic('h', { partitions: 2, segmentBytes: 1 << 20 });
    const exits: ActorExitEvent[] = [];
    const restarted = new Promise<void>((resolve) => broker.once('actor-restart', () => resolve()));
    broker.on('actor-exit', (event: ActorExitEvent) => exits.push(event));
    const producer = broker.producer({ acks: 1, idempotent: true, batchBytes: 256 });
    const acked = new Map<string, string>();
    let sequence = 0;
    let stopped = false;
    const lane = async () => {
      while (!stopped) {
        const batch = Array.from({ length: 10 }, () => ({ value: String(sequence++) }));
        const results = await producer.sendBatch('h', batch);
        results.forEach((r, i) => acked.set(`${r.partition}:${r.offset}`, batch[i].value));
      }
    };
    const lanes = Promise.all([lane(), lane()]);
    while (acked.size < 500) await new Promise((resolve) => setImmediate(resolve));

    const crashedAtMs = Date.now();
    await broker.crashActor(0, mode);
    const stuckMs = Date.now() - crashedAtMs;
    await restarted;
    const ackedBefore = acked.size;
    while (acked.size < ackedBefore + 500) await new Promise((resolve) => setImmediate(resolve));
    stopped = true;
    await lanes;
    await producer.close();
    await broker.close();

    expect(exits.map((e) => e.reason), 'exits').toHaveLength(1);
    expect(exits[0].reason).toMatch(/^no heartbeat for \d+ ms$/);
    // Terminated by the heartbeat watchdog, which waits out the whole deadline first.
    expect(stuckMs).toBeGreaterThanOrEqual(heartbeatDeadlineMs);
    const stored = readTopic(dataDir, 'h', 2);
    const values = stored.map((r) => Number(r.value)).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: sequence }, (_, i) => i));
    const at = new Map(stored.map((r) => [`${r.partition}:${r.offset}`, r.value]));
    for (const [where, value] of acked) expect(at.get(where)).toBe(value);
  });
});
