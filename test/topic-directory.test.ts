import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TopicDirectory } from '../src/shm/topic-directory.js';

describe('TopicDirectory', () => {
  it('publishes, lists and removes topics', () => {
    const directory = TopicDirectory.create();
    directory.put({
      topic: 'orders', topicId: 1, firstSlot: 0, partitionCount: 4, maxRecordBytes: 1000,
    });
    directory.put({ topic: 'ünïcode', topicId: 2, firstSlot: 4, partitionCount: 1 });
    const reader = new TopicDirectory(directory.buffer);
    expect(reader.lookup('orders')).toEqual({
      topic: 'orders', topicId: 1, firstSlot: 0, partitionCount: 4, maxRecordBytes: 1000,
    });
    expect(reader.lookup('ünïcode')?.maxRecordBytes).toBe(1024 * 1024);
    expect(reader.lookup('ünïcode')?.firstSlot).toBe(4);
    directory.remove('orders');
    expect(reader.lookup('orders')).toBeUndefined();
    expect(reader.list().map((t) => t.topic)).toEqual(['ünïcode']);
  });

  it('is readable from another thread', async () => {
    const directory = TopicDirectory.create();
    directory.put({ topic: 'events', topicId: 7, firstSlot: 12, partitionCount: 3 });
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const words = new Int32Array(workerData);
      parentPort.postMessage(Atomics.load(words, 0));
    `, { eval: true, workerData: directory.buffer });
    const seq = await new Promise((resolve) => worker.once('message', resolve));
    expect(seq).toBe(2);
    await worker.terminate();
  });
});
