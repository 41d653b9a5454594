/**
 * `Broker.connect()`: a Kafka client with the embedded broker's API, built on the door's own
 * protocol layer (src/protocol/, one codec for both directions). It works against
 * `mamba serve` and any Kafka-compatible cluster. Layers, bottom up: broker-connection.ts (one
 * socket, correlation, timeouts, versions, SASL, TLS) → cluster.ts (nodes, metadata, retries,
 * reconnect backoff) → remote-producer.ts, remote-fetcher.ts + remote-consumer.ts,
 * remote-group-member.ts → remote-broker.ts.
 */
export { RemoteBroker } from './remote-broker.js';
export type { RemotePartitionDescription, RemoteTopicDescription } from './remote-broker.js';
export { RemoteProducer } from './remote-producer.js';
export { RemoteConsumer } from './remote-consumer.js';
export { resolveConnectOptions } from './connect-options.js';
export type {
  ConnectConfig, ConnectOptions, SaslMechanism, SaslOptions,
} from './connect-options.js';
