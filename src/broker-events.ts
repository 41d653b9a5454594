/**
 * The events a `Broker` emits, as a map from name to listener arguments, so that a listener
 * gets a typed payload and a misspelled name (`'partition-recoverd'`) does not compile.
 */
import type {
  ActorExitEvent, ActorFailedEvent, ActorReadyEvent, ActorRestartEvent, PartitionFailedEvent,
  PartitionRecoveredEvent, StandbyReadyEvent,
} from './supervisor/index.js';

export type { ActorReadyEvent, PartitionFailedEvent, StandbyReadyEvent };

export interface BrokerEventMap {
  'actor-exit': [event: ActorExitEvent];
  'actor-restart': [event: ActorRestartEvent];
  'actor-ready': [event: ActorReadyEvent];
  'actor-failed': [event: ActorFailedEvent];
  'partition-recovered': [event: PartitionRecoveredEvent];
  'partition-failed': [event: PartitionFailedEvent];
  'standby-ready': [event: StandbyReadyEvent];
}

export type BrokerEvent = keyof BrokerEventMap;

/** Every event name, for forwarding them from the supervisor. */
export const BROKER_EVENTS: readonly BrokerEvent[] = [
  'actor-exit', 'actor-restart', 'actor-ready', 'actor-failed', 'partition-recovered',
  'partition-failed', 'standby-ready',
];
