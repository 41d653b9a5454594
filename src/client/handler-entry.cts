/**
 * The handler pool's entry file (handler-worker.ts), in CommonJS: see
 * segments/segment-prepare-entry.cts for why.
 */
import type { HandlerTask, HandlerTaskResult } from './handler-task.js';

const task = import('./handler-worker.js');

export = async function runTask(spec: HandlerTask): Promise<HandlerTaskResult> {
  return (await task).default(spec);
};
