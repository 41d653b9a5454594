/**
 * Issue 10 gap 2: a program run as `node --input-type=module -e '…'` can open a broker (its
 * workers get options they can run), and an actor that cannot start is given up after a few
 * tries with the worker's own error, instead of ~27 s of restarts and an error without cause.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const brokerUrl = pathToFileURL(path.join(root, 'dist/src/index.js')).href;

function runEval(dataDir: string, nodeOptions: string[]) {
  const program = `
    import { Broker } from ${JSON.stringify(brokerUrl)};
    try {
      const broker = await Broker.open({ dataDir: ${JSON.stringify(dataDir)}, actors: 2 });
      await broker.createTopic('t', { partitions: 2, segmentBytes: 1 << 20 });
      const result = await broker.producer({ acks: 'all' }).send('t', { value: 'v' });
      await broker.close();
      console.log(JSON.stringify({ ok: true, offset: result.offset }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, code: error.code, message: error.message,
        cause: String(error.cause?.message ?? error.cause) }));
    }`;
  const child = spawnSync(process.execPath,
    [...nodeOptions, '--input-type=module', '-e', program],
    { encoding: 'utf8', timeout: 60_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    ok: boolean; offset?: number; code?: string; message?: string; cause?: string;
  };
}

describe('actors started from a program given with -e', () => {
  it('open a broker, create a topic, send and close', () => {
    const result = runEval(tempDir(), ['--enable-source-maps']);
    expect(result).toEqual({ ok: true, offset: 0 });
  });

  it('an actor that throws at start fails open fast, with its own error as the cause', () => {
    // A preload that throws in actor workers only: kept in the workers' options on purpose.
    const dir = tempDir();
    const preload = path.join(dir, 'broken-actor.cjs');
    fs.writeFileSync(preload, `
      const threads = require('node:worker_threads');
      if (!threads.isMainThread && threads.workerData && 'actorIndex' in threads.workerData) {
        throw new Error('actor boot exploded');
      }`);
    const result = runEval(path.join(dir, 'data'), ['--require', preload]);
    expect(result.ok).toBe(false);
    expect(result.code).toBe('PARTITION_FAILED');
    expect(result.message).toContain('could not start (3 tries)');
    expect(result.message).toContain('actor boot exploded');
    expect(result.cause).toBe('actor boot exploded');
  });
});
