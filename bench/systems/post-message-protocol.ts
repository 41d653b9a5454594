/**
 * The messages of the worker `postMessage` baseline, in one place (the typed union both
 * threads read). The data plane is deliberately the naive one: structured-clone copies.
 *
 *   producer port → worker:  Uint8Array   one record (per-record mode) or one packed batch
 *   worker → producer port:  number       acknowledges the oldest unacknowledged batch (FIFO)
 *   worker → consumer port:  Uint8Array   forwarded as received (packed buffers transferred)
 */
import type { MessagePort } from 'node:worker_threads';

export type PostMode = 'per-record' | 'packed';

/** Sent once, in `workerData`, to configure the worker. */
export interface PostWorkerData {
  readonly mode: PostMode;
  readonly batchMessageCount: number;
}

/** Sent once on the worker's parentPort per producer or consumer the worker serves. */
export type PostControl =
  | { readonly type: 'producer'; readonly port: MessagePort }
  | { readonly type: 'consumer'; readonly port: MessagePort };
