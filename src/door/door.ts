/**
 * A Kafka door, main-thread side: `broker.listen()` starts one in its own worker thread (a
 * network actor beside the partition actors), so sockets, framing and request handling never
 * run on the embedding application's event loop. This side answers the worker's rare admin
 * calls (topics, create, delete) and its consumer-group requests from the broker (whose group
 * registry is the one embedded consumers use), and stops the worker on `close()`.
 */
import { Worker } from 'node:worker_threads';
import { MambaError, fromWire, toWire } from '../errors.js';
import { workerUrl } from '../worker-url.js';
import type {
  BrokerCall, DoorCommand, DoorConfig, DoorEvent, DoorWorkerData, TopicInfo,
} from './door-protocol.js';
import type { ClassicRequest } from '../coordinator/index.js';
import type { TopicOptions } from '../options.js';
import type { SessionHandle } from '../shm/index.js';

/** What a door needs from the broker. */
export interface DoorBackend {
  dataDir: string;
  newSession(): SessionHandle;
  topics(): TopicInfo[];
  createTopic(name: string, options: TopicOptions): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Serves a consumer-group request (JoinGroup, OffsetCommit, …) from the group registry. */
  classicGroups(request: ClassicRequest): Promise<unknown>;
}

/** How long `close()` lets in-flight requests finish before connections are cut. */
const closeGraceMs = 5_000;

export class Door {
  private closing: Promise<void> | undefined;
  /** Settles when the worker thread is gone, whenever that happens (even before `close()`). */
  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker, private readonly bound: {
    host: string; port: number;
  }, private readonly onClosed: () => void) {
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => resolve());
    });
  }

  static async start(backend: DoorBackend, config: DoorConfig,
    onClosed: () => void): Promise<Door> {
    const data: DoorWorkerData = {
      config, session: backend.newSession(), dataDir: backend.dataDir,
    };
    const worker = new Worker(workerUrl('./door-worker.js', import.meta.url), { workerData: data });
    worker.on('message', (event: DoorEvent) => {
      if (event.kind === 'call') void answer(worker, backend, event.id, event.call);
    });
    const bound = await new Promise<{ host: string; port: number }>((resolve, reject) => {
      const onMessage = (event: DoorEvent) => {
        if (event.kind === 'listening') resolve({ host: event.host, port: event.port });
        else if (event.kind === 'listen-failed') reject(fromWire(event.error));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new MambaError('IO_ERROR',
        `the Kafka door's worker exited (${code}) before listening`)));
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('error');
    worker.on('error', (error) => console.error('mamba: Kafka door worker failed:', error));
    return new Door(worker, bound, onClosed);
  }

  /** The address the door listens on (the port the system chose, for port 0). */
  address(): { host: string; port: number } {
    return { ...this.bound };
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to a grace period), closes
   * every connection and the worker.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (event: DoorEvent) => {
        if (event.kind === 'closed') resolve();
      });
    });
    this.worker.postMessage({ kind: 'close', graceMs: closeGraceMs } satisfies DoorCommand);
    await Promise.race([closed, this.exited]);
    await this.worker.terminate();
    this.onClosed();
  }
}

async function answer(worker: Worker, backend: DoorBackend, id: number,
  call: BrokerCall): Promise<void> {
  let reply: DoorCommand;
  try {
    let value: unknown = null;
    switch (call.kind) {
      case 'topics': value = backend.topics(); break;
      case 'create-topic': await backend.createTopic(call.name, call.options); break;
      case 'delete-topic': await backend.deleteTopic(call.name); break;
      case 'group': value = await backend.classicGroups(call.request); break;
    }
    reply = { kind: 'reply', id, ok: true, value };
  } catch (error) {
    reply = { kind: 'reply', id, ok: false, error: toWire(error) };
  }
  worker.postMessage(reply);
}
