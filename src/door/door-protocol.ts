/**
 * The messages between a door's worker thread and the broker on the main thread. Data never
 * takes this path (produce goes through the session's rings, fetch reads the mappings): only
 * rare admin calls, the door's lifecycle, the topic facts that live in the manifest, and the
 * consumer-group requests, which the broker's group registry serves.
 */
import type { ClassicReplies, ClassicRequest } from '../coordinator/index.js';
import type { WireError } from '../errors.js';
import type { ListenConfig, TopicConfig, TopicOptions } from '../options.js';
import type { SessionHandle } from '../shm/index.js';

export interface TopicInfo {
  name: string;
  /** The manifest's topic number (the topic directory's `topicId`). */
  id: number;
  /** The topic's UUID (Kafka topic ID), kept in the manifest. */
  uuid: string;
  partitions: number;
  config: TopicConfig;
}

/** The door's settings: `broker.listen()` options merged with the broker's door options. */
export type DoorConfig = ListenConfig;

/** What the worker starts with (`workerData`: SharedArrayBuffers and plain values). */
export interface DoorWorkerData {
  config: DoorConfig;
  session: SessionHandle;
  dataDir: string;
}

/** Calls the worker makes on the broker. */
export type BrokerCall =
  | { kind: 'topics' }
  | { kind: 'create-topic'; name: string; options: TopicOptions }
  | { kind: 'delete-topic'; name: string }
  | { kind: 'group'; request: ClassicRequest };

export interface BrokerCallResults {
  'topics': TopicInfo[];
  'create-topic': null;
  'delete-topic': null;
  'group': ClassicReplies[ClassicRequest['type']];
}

/** Worker → main thread. */
export type DoorEvent =
  | { kind: 'listening'; host: string; port: number }
  | { kind: 'listen-failed'; error: WireError }
  | { kind: 'call'; id: number; call: BrokerCall }
  | { kind: 'closed' };

/** Main thread → worker. */
export type DoorCommand =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WireError }
  | { kind: 'close'; graceMs: number };
