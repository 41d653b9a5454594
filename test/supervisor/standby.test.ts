/**
 * Issue 15, restarts: each actor keeps a warm standby worker (modules loaded, idle). When the
 * actor dies, the standby is adopted instead of a thread being started, its partitions accept
 * again, and a new standby is started behind it. Without standbys, and when a standby cannot
 * start at all, restarts start a fresh worker as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import type { ActorReadyEvent, StandbyReadyEvent } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const brokerUrl = pathToFileURL(path.join(root, 'dist/src/index.js')).href;

function nextReady(broker: Broker): Promise<ActorReadyEvent> {
  return new Promise((resolve) => broker.once('actor-ready', resolve));
}

function nextStandby(broker: Broker): Promise<StandbyReadyEvent> {
  return new Promise((resolve) => broker.once('standby-ready', resolve));
}

describe('warm standby actors', () => {
  it('the standby takes over a killed actor, the partition accepts, a new standby follows',
    async () => {
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1,
        restart: { standby: true } });
      const firstStandby = nextStandby(broker);
      await broker.createTopic('s', { partitions: 2, segmentBytes: 1 << 20 });
      const producer = broker.producer({ acks: 1 });
      await producer.sendBatch('s', [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }]);
      const standby = await firstStandby;
      expect(standby.actorIndex).toBe(0);

      const ready = nextReady(broker);
      const secondStandby = nextStandby(broker);
      await broker.crashActor(0, 'terminate');
      const event = await ready;
      expect(event.standby).toBe(true);
      expect((await producer.send('s', { value: 'c', partition: 0 })).offset).toBe(1);
      expect((await producer.send('s', { value: 'd', partition: 1 })).offset).toBe(1);
      // The adopted worker is the actor now; the next standby is another thread.
      const replacement = await secondStandby;
      expect(replacement.threadId).not.toBe(standby.threadId);

      // And it takes over in turn, from an actor that died by its own hand.
      const readyAgain = nextReady(broker);
      await broker.crashActor(0, 'throw');
      expect((await readyAgain).standby).toBe(true);
      expect((await producer.send('s', { value: 'e', partition: 0 })).offset).toBe(2);
      await producer.close();
      await broker.close();
    });

  it('restart.standby false: a restart starts a fresh worker', async () => {
    const broker = await Broker.open(
      { dataDir: tempDir(), actors: 1, restart: { standby: false } });
    await broker.createTopic('s', { partitions: 1, segmentBytes: 1 << 20 });
    const producer = broker.producer({ acks: 1 });
    await producer.send('s', { value: 'a' });
    const ready = nextReady(broker);
    await broker.crashActor(0, 'exit');
    expect((await ready).standby).toBe(false);
    expect((await producer.send('s', { value: 'b' })).offset).toBe(1);
    await producer.close();
    await broker.close();
  });

  it('a standby that cannot start is not adopted; the actor restarts fresh', () => {
    // A preload that throws in standby workers only (the actors themselves start), leaving a
    // mark first so that the program knows a standby was tried.
    const dir = tempDir();
    const preload = path.join(dir, 'broken-standby.cjs');
    const mark = path.join(dir, 'standby-tried');
    fs.writeFileSync(preload, `
      const threads = require('node:worker_threads');
      if (!threads.isMainThread && threads.workerData && threads.workerData.standby === true) {
        require('node:fs').writeFileSync(${JSON.stringify(mark)}, 'x');
        throw new Error('standby boot exploded');
      }`);
    const program = `
      import { Broker } from ${JSON.stringify(brokerUrl)};
      const broker = await Broker.open({ dataDir: ${JSON.stringify(path.join(dir, 'data'))},
        actors: 1, restart: { standby: true } });
      await broker.createTopic('t', { partitions: 1, segmentBytes: 1 << 20 });
      const producer = broker.producer({ acks: 1 });
      await producer.send('t', { value: 'a' });
      const fs = await import('node:fs');
      const deadline = Date.now() + 30_000;
      while (!fs.existsSync(${JSON.stringify(mark)})) {
        if (Date.now() > deadline) throw new Error('no standby was started');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const ready = new Promise((resolve) => broker.once('actor-ready', resolve));
      await broker.crashActor(0, 'terminate');
      const event = await ready;
      const result = await producer.send('t', { value: 'b' });
      await producer.close();
      await broker.close();
      console.log(JSON.stringify({ standby: event.standby, offset: result.offset }));`;
    const child = spawnSync(process.execPath,
      ['--require', preload, '--input-type=module', '-e', program],
      { encoding: 'utf8', timeout: 60_000 });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!))
      .toEqual({ standby: false, offset: 1 });
  });
});
