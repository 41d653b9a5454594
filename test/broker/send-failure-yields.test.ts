/**
 * Issue 17, item 3: a send that fails (here: its topic was deleted) rejects on a later turn of
 * the event loop, like an I/O error, so a retry loop around it lets timers fire.
 */
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Far more rejections than a timer of a few milliseconds allows if the loop yields. */
const iterationsMax = 200_000;

describe('a retry loop around a failing send', () => {
  it.each(['send', 'sendBatch'] as const)('lets a timer stop it (%s)', async (method) => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 1 });
      await producer.send('t', { value: 'before' });
      await broker.deleteTopic('t');
      let running = true;
      setTimeout(() => { running = false; }, 20);
      let iterations = 0;
      const codes = new Set<string>();
      while (running && iterations < iterationsMax) {
        iterations++;
        try {
          if (method === 'send') await producer.send('t', { value: 'x' });
          else await producer.sendBatch('t', [{ value: 'x' }]);
        } catch (error) {
          codes.add(MambaError.is(error) ? error.code : String(error));
        }
      }
      expect(running).toBe(false);
      expect(iterations).toBeLessThan(iterationsMax);
      expect([...codes]).toEqual(['UNKNOWN_TOPIC']);
    } finally {
      await broker.close();
    }
  });
});
