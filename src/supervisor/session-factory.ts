/**
 * Makes producer sessions: per actor one request ring (producer → actor) and one ack ring
 * (actor → producer), plus the session's control words, handed to every actor through the
 * supervisor (which also hands them again to a restarted actor). The handle it returns holds only
 * SharedArrayBuffers and numbers, so any thread can attach it.
 */
import { ringCapacityBytesDefault } from '../constants.js';
import { SpscRing } from '../ringbuffer/index.js';
import type { ActorSessionSpec } from '../actors/index.js';
import {
  SESSION_BUFFERED_BYTES, SESSION_CLOSED, SESSION_CONTROL_SIZE_BYTES, type ControlBlock,
  type SessionHandle, type TopicDirectory,
} from '../shm/index.js';
import type { Supervisor } from './supervisor.js';

const ackRingCapacityBytes = 256 * 1024;

export class SessionFactory {
  private nextSessionId = 1;
  /** Every session's control words, until its producer side closes. */
  private readonly controls = new Set<SharedArrayBuffer>();

  constructor(
    private readonly actorCount: number,
    private readonly supervisor: Supervisor,
    private readonly controlBlock: ControlBlock,
    private readonly directory: TopicDirectory,
  ) {}

  create(): SessionHandle {
    const sessionId = this.nextSessionId++;
    const rings = Array.from({ length: this.actorCount }, () => ({
      request: SpscRing.create(ringCapacityBytesDefault).handle(),
      ack: SpscRing.create(ackRingCapacityBytes).handle(),
    }));
    const control = new SharedArrayBuffer(SESSION_CONTROL_SIZE_BYTES);
    this.controls.add(control);
    const specs: ActorSessionSpec[] = rings.map((r) => ({
      sessionId, control, request: r.request, ack: r.ack,
    }));
    this.supervisor.addSession(specs);
    return {
      sessionId, control, rings, controlBlock: this.controlBlock.buffer,
      topicDirectory: this.directory.buffer,
    };
  }

  /**
   * Bytes every producer of every session (main thread and workers) holds against its
   * `maxBufferedBytes` now, read from the sessions' shared words; closed sessions are dropped.
   */
  bufferedBytes(): number {
    let total = 0n;
    for (const control of this.controls) {
      if (Atomics.load(new Int32Array(control), SESSION_CLOSED) === 1) {
        this.controls.delete(control);
        continue;
      }
      total += Atomics.load(new BigInt64Array(control), SESSION_BUFFERED_BYTES);
    }
    return Number(total);
  }
}
