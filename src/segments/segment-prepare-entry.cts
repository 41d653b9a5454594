/**
 * The segment-preparation pool's entry file (segment-prepare-worker.ts), in CommonJS.
 * piscina loads a task file with `require()` first; for an ES module that is Node's synchronous
 * ES-module path, and Node 20 aborts the whole process when a thread is terminated while that
 * path instantiates the module graph (CI: an actor killed by the crash test while its
 * preparation thread started, SIGABRT in `v8::Module::IsGraphAsync`). This file is plain
 * CommonJS, so `require()` has nothing to instantiate, and the task module comes by `import()`,
 * which a termination ends cleanly.
 */
import type { PrepareTask } from './segment-prepare-worker.js';

const task = import('./segment-prepare-worker.js');

export = async function prepareSegmentFile(spec: PrepareTask): Promise<boolean> {
  return (await task).default(spec);
};
