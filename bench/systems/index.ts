/**
 * Every system the bench knows, as factories per acks level. Mamba comes first: where it runs,
 * it is the numerator of every ratio.
 */
import type { BenchSystemFactory } from '../harness/bench-system.js';
import { appendLogFactory } from './append-log.js';
import { mambaFactory } from './mamba.js';
import { natsJetStreamFactory } from './nats-jetstream.js';
import { postMessagePackedFactory, postMessageRecordFactory } from './post-message.js';
import { rabbitMqFactory } from './rabbitmq.js';
import { redisStreamsFactory } from './redis-streams.js';

export { mambaFactory };

/** The naive in-process ways to do what Mamba does (issue 7's baselines). */
export const inProcessFactories: readonly BenchSystemFactory[] = [
  postMessageRecordFactory, postMessagePackedFactory, appendLogFactory,
];

/** The brokers a Node user would otherwise pick, over loopback (scripts/peers.sh). */
export const peerFactories: readonly BenchSystemFactory[] = [
  redisStreamsFactory, natsJetStreamFactory, rabbitMqFactory,
];
