/**
 * Issue 15, restarts: a parked actor blocks its thread in `Atomics.wait`, where it reads no
 * control message. Two ways a command used to wait for the park's timeout (100 ms each, most of
 * a warm standby's restart): the reply to `adopt`, posted a few microtasks after the drain loop
 * had started and parked; and a command posted after the actor's last event-loop turn, before it
 * announced sleep (the supervisor saw it awake and did not ring). Both are checked here on the
 * actor's own code in this thread, with `Atomics.wait` replaced by a recorder, so that what is
 * asserted is the order of events, not a time.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ControlInbox, countPosted, exposeActor, newControlPosted, wrapActor,
} from '../../src/actors/index.js';
import { PartitionActor } from '../../src/actors/partition-actor.js';
import { StandbyEndpoint } from '../../src/actors/standby-endpoint.js';
import { ACTOR_SLEEPING, ControlBlock } from '../../src/shm/index.js';
import type { IdleConfig } from '../../src/ringbuffer/index.js';

const park: IdleConfig = { strategy: 'park', spinUs: 0, yieldUs: 0 };

/** Replaces Atomics.wait (never blocking) and records each call in `events`. */
function recordParks(events: string[]) {
  return vi.spyOn(Atomics, 'wait').mockImplementation(() => {
    events.push('park');
    return 'timed-out';
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('actor wake-up for control messages', () => {
  it('a parked actor takes an event-loop turn instead of blocking while a command waits',
    async () => {
      const block = ControlBlock.create();
      const posted = newControlPosted();
      const inbox = new ControlInbox(posted);
      const actor = new PartitionActor(0, 1, block, park, inbox);
      // The drain loop parks only once ready (run() does this transition).
      (actor as unknown as { lifecycle: string }).lifecycle = 'ready';
      const sleep = () => (actor as unknown as { sleepUntilWork(): Promise<void> })
        .sleepUntilWork();
      const events: string[] = [];
      recordParks(events);

      // Posted (and counted) while the actor was awake, so nobody rang its doorbell.
      countPosted(new Int32Array(posted));
      expect(inbox.pending).toBe(true);
      await sleep();
      expect(events).toEqual([]);
      expect(Atomics.load(block.i32, block.actorWord(0, ACTOR_SLEEPING))).toBe(0);

      // Once its port dispatched the message, the actor parks again.
      inbox.dispatched();
      expect(inbox.pending).toBe(false);
      await sleep();
      expect(events).toEqual(['park']);
    });

  it('the reply to adopt is posted before the adopted drain loop first parks', async () => {
    const block = ControlBlock.create();
    const posted = newControlPosted();
    const inbox = new ControlInbox(posted);
    const { port1, port2 } = new MessageChannel();
    const events: string[] = [];
    const postReply = port1.postMessage.bind(port1);
    port1.postMessage = (message: unknown, transfer?: never) => {
      events.push('reply');
      postReply(message, transfer);
    };
    port1.on('message', () => inbox.dispatched());
    const endpoint = new StandbyEndpoint(0, block, park, inbox);
    exposeActor(endpoint, port1);
    const remote = wrapActor(port2 as unknown as Worker, () => {
      countPosted(new Int32Array(posted));
      block.ringActor(0);
    });
    recordParks(events);
    const running = endpoint.runWhenAdopted();
    try {
      const adopted = await remote.call({ kind: 'adopt', epoch: 1 });
      expect(adopted.ok).toBe(true);
      await vi.waitFor(() => expect(events).toContain('park'));
      expect(events[0]).toBe('reply');
    } finally {
      await remote.call({ kind: 'shutdown' });
      await running;
      port1.close();
      port2.close();
    }
  });
});
