/**
 * The messages between the bench's main thread and its producer threads, as one closed union
 * each way. The data plane (batches, acknowledgements) never crosses here: each thread has its
 * own Mamba producer session; only the start signal and the final tallies do.
 *
 *   main ── workerData { handle, scenario, topic } ──▶ thread   (attaches its producer)
 *   main ◀── { type: 'ready' } ──────────────────────── thread
 *   main ── { type: 'start', window } ─────────────────▶ thread  (runs the produce loop)
 *   main ◀── { type: 'done', tally } or { type: 'failed', message } ── thread (then exits)
 */
import type { ProducerHandle } from '../../src/index.js';
import type { RunWindow } from '../harness/produce-loop.js';
import type { Scenario } from '../harness/scenario.js';

export interface ProducerThreadData {
  readonly handle: ProducerHandle;
  /** The scenario as each thread runs it: its share of the count limit, the whole rate. */
  readonly scenario: Scenario;
  readonly topic: string;
}

/** What one thread measured in the window (its warm-up excluded). */
export interface ProducerThreadTally {
  readonly sentCount: number;
  readonly ackedCount: number;
  readonly measureStartNs: number;
  readonly lastAckNs: number;
  /** The thread's ack latency histogram, from `LatencyRecorder.encode()`. */
  readonly ackLatencyEncoded: string;
}

export type ToProducerThread = { readonly type: 'start'; readonly window: RunWindow };

export type FromProducerThread =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly tally: ProducerThreadTally }
  | { readonly type: 'failed'; readonly message: string };
