/**
 * The piscina worker entry of the handler pool: loads the user's handler module once per
 * worker and runs one batch of one partition per task, record by record, in order. The first
 * failure stops the batch; the pool retries from that record, so no record of a partition ever
 * runs before the one ahead of it has succeeded.
 */
import { workerData } from 'piscina';
import { MambaError, toWire } from '../errors.js';
import { unpackMessage } from './handler-task.js';
import type {
  HandlerFunction, HandlerTask, HandlerTaskResult, HandlerWorkerData,
} from './handler-task.js';

const data = workerData as HandlerWorkerData;
let loaded: Promise<HandlerFunction> | undefined;

async function loadHandler(): Promise<HandlerFunction> {
  let module: Record<string, unknown>;
  try {
    module = await import(data.handlerUrl) as Record<string, unknown>;
  } catch (cause) {
    throw new MambaError('INVALID_HANDLER',
      `cannot load handler module ${data.handlerUrl}: ${(cause as Error).message}`,
      { detail: { handler: data.handlerUrl } });
  }
  const handler = typeof module.handler === 'function' ? module.handler : module.default;
  if (typeof handler !== 'function') {
    throw new MambaError('INVALID_HANDLER',
      `handler module ${data.handlerUrl} exports no function named handler or default`,
      { detail: { handler: data.handlerUrl } });
  }
  return handler as HandlerFunction;
}

export default async function runTask(task: HandlerTask): Promise<HandlerTaskResult> {
  loaded ??= loadHandler();
  let handler: HandlerFunction;
  try {
    handler = await loaded;
  } catch (error) {
    return { ok: false, processedCount: 0, error: toWire(error) };
  }
  if (task.kind === 'probe') return { ok: true, processedCount: 0 };
  const context = { data: data.handlerData };
  for (let i = 0; i < task.recordCount; i++) {
    try {
      await handler(unpackMessage(task, i), context);
    } catch (error) {
      return { ok: false, processedCount: i, error: toWire(error) };
    }
  }
  return { ok: true, processedCount: task.recordCount };
}
