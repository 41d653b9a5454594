/** The Kafka door: `broker.listen()` and `mamba serve` put Kafka's wire protocol in front of
 * the broker, served by a worker thread of its own. */
export { Door, type DoorBackend, type DoorRestartEvent } from './door.js';
export type { BoundListener, DoorConfig, TopicInfo } from './door-protocol.js';
export { kafkaTopicConfigs, topicOptionsFrom } from './topic-configs.js';
