/**
 * The messages between the handler pool and its workers, and the layout of a batch task.
 *
 * One task carries a run of records of one partition, not one record: a `postMessage` per
 * record caps out near 0.5 M messages/s here, while the same records packed in one buffer
 * cross at 8–10 M/s (DESIGN.md §5). Keys, values and header values are copied into one
 * `ArrayBuffer` that is transferred, not cloned: the consumer's records are views into
 * memory-mapped segments, which cannot be transferred and must not be shared with a thread
 * that outlives the mapping. The per-record numbers travel in a transferred Float64Array.
 *
 * ```
 * slots (Float64Array), SLOTS_PER_RECORD per record:
 *   [0] logOffset  [1] timestamp  [2] keyPosition    [3] keyLength   (-1: null key)
 *   [4] valuePosition  [5] valueLength (-1: null)    [6] firstHeader [7] headerCount
 * headerSlots (Float64Array), SLOTS_PER_HEADER per header:
 *   [0] valuePosition  [1] valueLength;  its name is headerNames[index]
 * bytes: every key, value and header value, back to back
 * ```
 */
import { assert } from '../assert.js';
import { handlerTaskBytesMax } from '../constants.js';
import type { WireError } from '../errors.js';

export const SLOT_LOG_OFFSET = 0;
export const SLOT_TIMESTAMP = SLOT_LOG_OFFSET + 1;
export const SLOT_KEY_POSITION = SLOT_TIMESTAMP + 1;
export const SLOT_KEY_LENGTH = SLOT_KEY_POSITION + 1;
export const SLOT_VALUE_POSITION = SLOT_KEY_LENGTH + 1;
export const SLOT_VALUE_LENGTH = SLOT_VALUE_POSITION + 1;
export const SLOT_FIRST_HEADER = SLOT_VALUE_LENGTH + 1;
export const SLOT_HEADER_COUNT = SLOT_FIRST_HEADER + 1;
export const SLOTS_PER_RECORD = SLOT_HEADER_COUNT + 1;
export const HEADER_SLOT_POSITION = 0;
export const HEADER_SLOT_LENGTH = HEADER_SLOT_POSITION + 1;
export const SLOTS_PER_HEADER = HEADER_SLOT_LENGTH + 1;
const NULL_LENGTH = -1;

/** A record as the consumer hands it to the pool (views may point into a mapping). */
export interface HandlerRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Readonly<Record<string, Uint8Array | string>>;
}

/** What a handler receives: its own copies, valid for as long as it keeps them. */
export interface HandlerMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export interface HandlerContext {
  /** `options.handlerData` of the pool, cloned into this worker once. */
  data: unknown;
}

export type HandlerFunction = (message: HandlerMessage, context: HandlerContext) => unknown;

export interface BatchTask {
  kind: 'batch';
  topic: string;
  partition: number;
  recordCount: number;
  slots: Float64Array;
  headerSlots: Float64Array;
  headerNames: string[];
  bytes: Uint8Array;
}

export type HandlerTask = BatchTask | { kind: 'probe' };

/** Records processed in order; a failure stops the batch at `processedCount`. */
export type HandlerTaskResult =
  | { ok: true; processedCount: number }
  | { ok: false; processedCount: number; error: WireError };

export interface HandlerWorkerData {
  handlerUrl: string;
  handlerData: unknown;
}

const encoder = new TextEncoder();

function byteLength(value: Uint8Array | string | null): number {
  if (value === null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
}

/** The bytes a record takes in a task, for cutting batches under `handlerTaskBytesMax`. */
export function recordTaskBytes(record: HandlerRecord): number {
  let size = byteLength(record.key) + byteLength(record.value);
  for (const value of Object.values(record.headers ?? {})) size += byteLength(value);
  return size;
}

/** Copies records into one task whose buffers are all transferable. */
export function packBatch(topic: string, partition: number,
  records: readonly HandlerRecord[]): BatchTask {
  let total = 0;
  let headerCount = 0;
  for (const record of records) {
    total += recordTaskBytes(record);
    headerCount += Object.keys(record.headers ?? {}).length;
  }
  assert(total <= handlerTaskBytesMax || records.length === 1, 'a task fits its byte limit');
  const bytes = new Uint8Array(total);
  const slots = new Float64Array(records.length * SLOTS_PER_RECORD);
  const headerSlots = new Float64Array(headerCount * SLOTS_PER_HEADER);
  const headerNames: string[] = [];
  let position = 0;
  const put = (value: Uint8Array | string | null, at: number, target: Float64Array) => {
    if (value === null) {
      target[at] = 0;
      target[at + 1] = NULL_LENGTH;
      return;
    }
    const source = typeof value === 'string' ? encoder.encode(value) : value;
    bytes.set(source, position);
    target[at] = position;
    target[at + 1] = source.byteLength;
    position += source.byteLength;
  };
  records.forEach((record, i) => {
    const base = i * SLOTS_PER_RECORD;
    slots[base + SLOT_LOG_OFFSET] = record.offset;
    slots[base + SLOT_TIMESTAMP] = record.timestamp;
    put(record.key, base + SLOT_KEY_POSITION, slots);
    put(record.value, base + SLOT_VALUE_POSITION, slots);
    const headers = Object.entries(record.headers ?? {});
    slots[base + SLOT_FIRST_HEADER] = headerNames.length;
    slots[base + SLOT_HEADER_COUNT] = headers.length;
    for (const [name, value] of headers) {
      put(value, headerNames.length * SLOTS_PER_HEADER + HEADER_SLOT_POSITION, headerSlots);
      headerNames.push(name);
    }
  });
  assert(position === total, 'every byte of the batch was packed');
  return { kind: 'batch', topic, partition, recordCount: records.length, slots, headerSlots,
    headerNames, bytes };
}

/** The transfer list of a task: its three buffers move to the worker without a copy. */
export function transferListOf(task: BatchTask): ArrayBuffer[] {
  return [task.slots.buffer as ArrayBuffer, task.headerSlots.buffer as ArrayBuffer,
    task.bytes.buffer as ArrayBuffer];
}

/** The i-th message of a task, as views into the task's (now worker-owned) buffer. */
export function unpackMessage(task: BatchTask, index: number): HandlerMessage {
  assert(index >= 0 && index < task.recordCount, 'message index within the batch');
  const base = index * SLOTS_PER_RECORD;
  const bytes = task.bytes;
  // Buffer views, as consumers in the main thread get: `m.value.toString()` is the text.
  const view = (at: number, source: Float64Array): Buffer | null => {
    const length = source[at + 1];
    return length === NULL_LENGTH ? null
      : Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset + source[at], length);
  };
  const headers: Record<string, Buffer> = {};
  const first = task.slots[base + SLOT_FIRST_HEADER];
  for (let h = 0; h < task.slots[base + SLOT_HEADER_COUNT]; h++) {
    headers[task.headerNames[first + h]] =
      view((first + h) * SLOTS_PER_HEADER + HEADER_SLOT_POSITION, task.headerSlots)!;
  }
  return {
    topic: task.topic, partition: task.partition,
    offset: task.slots[base + SLOT_LOG_OFFSET], timestamp: task.slots[base + SLOT_TIMESTAMP],
    key: view(base + SLOT_KEY_POSITION, task.slots),
    value: view(base + SLOT_VALUE_POSITION, task.slots),
    headers,
  };
}
