/**
 * Where scripts/peers.sh starts each peer and at which durability; keep in step with the
 * table at the top of that script. Every peer listens on 127.0.0.1 only, and the bench sends
 * traffic nowhere else.
 */
export const peerHost = '127.0.0.1';

export const peerPorts = {
  /** appendonly yes, appendfsync no */
  redisPageCache: 16379,
  /** appendonly yes, appendfsync always */
  redisFsync: 16380,
  /** JetStream file store, the server's default sync interval (2 minutes) */
  natsPageCache: 14222,
  /** JetStream file store, sync_interval: always (only where the server has that option) */
  natsFsync: 14223,
  /** durable classic queues and streams, publisher confirms */
  rabbitmq: 15673,
} as const;

export const peersScriptHint = 'start the peers with scripts/peers.sh start';
