/**
 * An actor worker runs with its young generation bounded (issue 15's anonymous memory: V8 grew
 * a busy actor's new space to 48 MiB), and `broker.stats()` reports each actor's own isolate,
 * which is how bench/tools/memory-breakdown.ts tells actor heaps from the rest of RssAnon.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { actorYoungGenerationSizeMbMax } from '../../src/constants.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('actor heap', () => {
  it('starts each actor with the young generation bound and reports its own heap', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
    await broker.createTopic('heap', { partitions: 2 });
    const stats = await broker.stats();
    expect(stats).toHaveLength(2);
    for (const actor of stats) {
      expect(actor.heap.youngGenerationSizeMbMax).toBe(actorYoungGenerationSizeMbMax);
      expect(actor.heap.usedBytes).toBeGreaterThan(0);
      expect(actor.heap.residentBytes).toBeGreaterThanOrEqual(actor.heap.usedBytes);
    }
  });
});
