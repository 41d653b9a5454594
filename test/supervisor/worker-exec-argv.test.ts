/**
 * The options every worker Mamba spawns gets (issue 10 gap 2): what applies only to the main
 * entry or only to a whole process is dropped, memory options become resource limits, the rest
 * (loaders, preloads, source maps, …) is kept. The end-to-end case, a broker opened from
 * `node --input-type=module -e`, is in actor-start.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { actorYoungGenerationSizeMbMax } from '../../src/constants.js';
import { PREPARE_READY } from '../../src/segments/segment-prepare-worker.js';
import { actorLaunchOptions, workerLaunchOptions } from '../../src/worker-exec-argv.js';

/** Where the compiled sources are: pools load their entries from there (worker-url.ts). */
const distSrc = fileURLToPath(new URL('../../dist/src/', import.meta.url));

describe('workerLaunchOptions', () => {
  it('drops main-entry options with their values, inline or in the next word', () => {
    const { execArgv } = workerLaunchOptions([
      '--input-type=module', '-e', 'console.log(1)', '--eval=x', '-p', '1+1', '--print', '2',
      '--input-type', 'commonjs', '-c', '--check', '-i', '--interactive', '--test',
      '--test-reporter', 'dot', '--test-name-pattern=foo', '--test-only', '--watch',
      '--watch-path', 'src', '--watch-preserve-output', '-',
    ]);
    expect(execArgv).toEqual([]);
  });

  it('keeps loaders, preloads, source maps, conditions and warnings options', () => {
    const kept = [
      '--import', 'tsx', '--require', './setup.cjs', '-r', 'x.cjs', '--loader=ts-node/esm',
      '--experimental-loader', 'y.mjs', '--enable-source-maps', '--conditions=dev',
      '--no-warnings', '--unhandled-rejections=strict', '--import=./z.mjs',
    ];
    expect(workerLaunchOptions(['--input-type=module', ...kept, '-e', 'code']).execArgv)
      .toEqual(kept);
  });

  it('turns memory options into resource limits', () => {
    const options = workerLaunchOptions(
      ['--max-old-space-size=512', '--max_semi_space_size', '16', '--stack-size=2048']);
    expect(options.execArgv).toEqual([]);
    expect(options.resourceLimits).toEqual(
      { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 48, stackSizeMb: 2 });
  });

  it('drops V8 and process-wide options a worker refuses', () => {
    const refused = ['--title=x', '--jitless', '--expose-gc', '--inspect=9229', '--perf-prof',
      '--v8-pool-size', '4', '--stack-trace-limit=50', '--zero-fill-buffers'];
    // Each of these is refused by Node itself in a worker's execArgv: the table is not a guess.
    for (const flag of ['--title=x', '--jitless', '--expose-gc', '--stack-trace-limit=50']) {
      expect(() => new Worker('', { eval: true, execArgv: [flag] }), flag)
        .toThrow(/invalid execArgv/);
    }
    expect(workerLaunchOptions([...refused, '--enable-source-maps']).execArgv)
      .toEqual(['--enable-source-maps']);
  });

  it('gives options a worker accepts, from a mixed command line', async () => {
    const options = workerLaunchOptions(['--input-type=module', '--max-old-space-size=256',
      '--title=t', '--enable-source-maps', '--no-warnings', '-e', 'x']);
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage(' +
      'process.execArgv)', { eval: true, ...options });
    const seen = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(seen).toEqual(['--enable-source-maps', '--no-warnings']);
    await worker.terminate();
  });

  it('gives every piscina pool a CommonJS entry that imports its ES task module', async () => {
    // piscina require()s a task file first; require() of an ES module instantiates it
    // synchronously, and Node 20 aborts the whole process when a thread is terminated in the
    // middle of that. The entries are CommonJS: with require() of ES modules turned off, they
    // still load (an ES entry would throw ERR_REQUIRE_ESM) and export the task function.
    const entries = ['segments/segment-prepare-entry.cjs', 'segments/cleaner-entry.cjs',
      'client/handler-entry.cjs'].map((entry) => join(distSrc, entry));
    const probe = new Worker('const { parentPort, workerData } = require("node:worker_threads");' +
      'parentPort.postMessage(workerData.map((entry) => { try { return typeof require(entry); } ' +
      'catch (error) { return error.code; } }));',
    { eval: true, workerData: entries, execArgv: ['--no-experimental-require-module'] });
    const kinds = await new Promise((resolve, reject) => {
      probe.once('message', resolve);
      probe.once('error', reject);
    });
    expect(kinds).toEqual(['function', 'function', 'function']);
    await probe.terminate();
    // Through a real pool: the preparation entry runs its task module.
    const dir = mkdtempSync(join(tmpdir(), 'mamba-pool-entry-'));
    const pool = new Piscina({
      filename: pathToFileURL(entries[0]).href, ...workerLaunchOptions(),
    });
    try {
      const status = new SharedArrayBuffer(4);
      await pool.run({ path: join(dir, 'segment'), sizeBytes: 4096, status });
      expect(Atomics.load(new Int32Array(status), 0)).toBe(PREPARE_READY);
    } finally {
      await pool.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('actorLaunchOptions', () => {
  it('bounds an actor\'s young generation by default (its heap, issue 15 anonymous memory)', () => {
    expect(actorLaunchOptions([]).resourceLimits).toEqual({
      maxYoungGenerationSizeMb: actorYoungGenerationSizeMbMax,
    });
  });

  it('lets the process\'s own --max-semi-space-size win, as for every worker', () => {
    const options = actorLaunchOptions(['--max-semi-space-size=8', '--enable-source-maps']);
    expect(options.resourceLimits).toEqual({ maxYoungGenerationSizeMb: 24 });
    expect(options.execArgv).toEqual(['--enable-source-maps']);
  });
});
