/**
 * What the operations layer reads from a broker. broker.ts is above every folder, so it hands
 * ops this view of itself (as it hands the door a DoorBackend) instead of ops importing it.
 */
import type { TopicPartition } from '../coordinator/index.js';
import type { ControlBlock } from '../shm/index.js';
import type {
  ActorExitEvent, ActorFailedEvent, ActorRestartEvent, PartitionFailedEvent,
  PartitionRecoveredEvent,
} from '../supervisor/index.js';

export interface OpsTopic {
  name: string;
  /** The control block slot of partition 0; partition p is at `firstSlot + p`. */
  firstSlot: number;
  partitions: number;
}

export interface OpsGroupMember {
  memberId: string;
  assigned: TopicPartition[];
}

export interface OpsGroup {
  groupId: string;
  /** 0 for a group known only by its committed offsets (no coordinator in this process). */
  generation: number;
  members: OpsGroupMember[];
  committed: { topic: string; partition: number; offset: number }[];
}

/** The broker events ops listens to (a subset of BrokerEventMap, typed the same). */
export interface OpsEventMap {
  'actor-exit': [event: ActorExitEvent];
  'actor-restart': [event: ActorRestartEvent];
  'actor-ready': [event: { actorIndex: number; epoch: number; recoveryMs: number }];
  'actor-failed': [event: ActorFailedEvent];
  'partition-recovered': [event: PartitionRecoveredEvent];
  'partition-failed': [event: PartitionFailedEvent];
}

export interface OpsEvents {
  on<K extends keyof OpsEventMap>(name: K, listener: (...args: OpsEventMap[K]) => void): unknown;
  off<K extends keyof OpsEventMap>(name: K, listener: (...args: OpsEventMap[K]) => void): unknown;
}

export interface OpsSource {
  readonly dataDir: string;
  readonly actorCount: number;
  readonly controlBlock: ControlBlock;
  readonly events: OpsEvents;
  topics(): OpsTopic[];
  /** The actor that owns a partition slot. */
  actorOf(slot: number): number;
  groups(): OpsGroup[];
  heartbeatAgeMs(actorIndex: number): number;
  ringOccupancy(actorIndex: number): { usedBytes: number; capacityBytes: number };
  /** Bytes buffered in the producers of the broker's thread, not yet handed to a ring. */
  producerBufferedBytes(): number;
}
