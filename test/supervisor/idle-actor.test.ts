/**
 * Issue 15, idle CPU: an actor with nothing to do must not wake 10 times a second. Once quiet
 * for `actorQuietAfterMs` it parks for up to `actorIdleParkMsMax`; its heartbeat then moves
 * about once a park, counted here on the control block's heartbeat word. Liveness still holds
 * under the shortest deadline the options allow (as long as the park cap): the supervisor rings
 * a parked actor at half its deadline (counted on the doorbell word), so a quiet actor is not
 * taken for a hung one, and a record sent after the long quiet is still appended and
 * acknowledged.
 */
import { describe, expect, it, vi } from 'vitest';
import { Broker } from '../../src/index.js';
import {
  actorIdleParkMsMax, actorQuietAfterMs,
} from '../../src/constants.js';
import { ACTOR_DOORBELL, ACTOR_HEARTBEAT, type ControlBlock } from '../../src/shm/index.js';
import { Supervisor, type ActorExitEvent } from '../../src/supervisor/supervisor.js';
import { tempDir } from '../helpers/temp-dir.js';

const windowMs = 3_000;

/** A word of actor 0 in the broker's control block: state no event announces. */
function actorWord(broker: Broker, field: number): number {
  const block = (broker as unknown as { controlBlock: ControlBlock }).controlBlock;
  return Atomics.load(block.i32, block.actorWord(0, field));
}

const heartbeat = (broker: Broker) => actorWord(broker, ACTOR_HEARTBEAT);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until actor 0 is in a long park: its heartbeat stood still for `stillMs`, several
 * heartbeat intervals (the checkpoint and flush that follow the last record come first; a
 * loaded machine can hold a thread up for a few intervals), bounded.
 */
async function untilParkedLong(broker: Broker, stillMs: number): Promise<void> {
  const giveUpAt = Date.now() + actorQuietAfterMs + 10_000;
  let last = heartbeat(broker);
  for (;;) {
    await sleep(stillMs);
    const now = heartbeat(broker);
    if (now === last) return;
    last = now;
    if (Date.now() > giveUpAt) throw new Error('the actor never parked for long');
  }
}

/** Heartbeats of actor 0 over `windowMs`, counted after the actor has gone quiet. */
async function quietBeats(heartbeatDeadlineMs?: number) {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 1,
    ...(heartbeatDeadlineMs === undefined ? {} : { heartbeatDeadlineMs }) });
  const exits: ActorExitEvent[] = [];
  broker.on('actor-exit', (event: ActorExitEvent) => exits.push(event));
  try {
    await broker.createTopic('quiet', { partitions: 2 });
    const producer = broker.producer({ acks: 1 });
    await producer.send('quiet', { value: 'before', partition: 0 });
    // Under the shortest deadline the ring comes at half of it: the actor stands still less.
    await untilParkedLong(broker, heartbeatDeadlineMs === undefined ? 700 : 400);
    const first = heartbeat(broker);
    // Nothing else rings an idle actor's doorbell: no producer commits, no command is sent.
    const firstRing = actorWord(broker, ACTOR_DOORBELL);
    await sleep(windowMs);
    const beats = heartbeat(broker) - first;
    const rings = actorWord(broker, ACTOR_DOORBELL) - firstRing;
    const ack = await producer.send('quiet', { value: 'after', partition: 1 });
    await producer.close();
    return { beats, rings, exits, ack };
  } finally {
    await broker.close();
  }
}

describe('an idle actor', () => {
  it('beats about once per long park, and is rung at half the shortest deadline', async () => {
    // Two brokers side by side: the default deadline, and the shortest one (the park cap).
    const shortDeadlineMs = actorIdleParkMsMax;
    const [common, short] = await Promise.all([quietBeats(), quietBeats(shortDeadlineMs)]);
    // Parked for the heartbeat interval (100 ms), an idle actor beat ~30 times in the window.
    expect(common.beats).toBeGreaterThanOrEqual(1);
    expect(common.beats).toBeLessThanOrEqual(windowMs / actorIdleParkMsMax + 2);
    // Under the shortest deadline the supervisor's ring at half of it keeps the actor alive.
    expect(short.exits.map((event) => event.reason)).toEqual([]);
    expect(common.exits.map((event) => event.reason)).toEqual([]);
    expect(short.rings).toBeGreaterThanOrEqual(2);
    expect(short.beats).toBeGreaterThanOrEqual(windowMs / shortDeadlineMs);
    expect(short.beats).toBeLessThanOrEqual(2 * windowMs / shortDeadlineMs + 4);
    for (const { ack } of [common, short]) {
      expect(ack).toMatchObject({ partition: 1, offset: 0 });
    }
  });

  it('is watched every tenth of the deadline (up to 500 ms), not every 100 ms', async () => {
    const checks = vi.spyOn(Supervisor.prototype as unknown as { checkHeartbeats(): void },
      'checkHeartbeats');
    try {
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
      try {
        const first = checks.mock.calls.length;
        await sleep(windowMs);
        // The default 5 s deadline: one look every 500 ms (every 100 ms before: ~30).
        expect(checks.mock.calls.length - first).toBeGreaterThanOrEqual(windowMs / 500 - 2);
        expect(checks.mock.calls.length - first).toBeLessThanOrEqual(windowMs / 500 + 1);
      } finally {
        await broker.close();
      }
    } finally {
      checks.mockRestore();
    }
  });
});
