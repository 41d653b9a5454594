/**
 * Uses of the public API that must compile, and (under `// @ts-expect-error`) uses that must
 * not. Compiled, never run, by test/types/types.test.ts and by `npm run typecheck`: an
 * expected error that stops happening fails the check as "unused @ts-expect-error".
 */
import {
  Broker, Consumer, MambaError, Producer,
  type ActorStats, type AssignorName, type BrokerConfig, type BrokerEvent, type BrokerOptions,
  type ConsumedMessage, type CrashMode, type HandlerContext, type HandlerMessage,
  type PartitionFailedEvent, type PartitionRecoveredEvent, type PartitionerName,
  type ProducerHandleOptions, type TopicConfig, type TopicOptions,
} from '../../src/index.js';

export async function uses(broker: Broker): Promise<void> {
  // Events: typed payloads, checked names.
  broker.on('partition-recovered', (event) => {
    const typed: PartitionRecoveredEvent = event;
    const ms: number = event.recoveryMs;
    void typed;
    void ms;
  });
  broker.on('partition-failed', (event: PartitionFailedEvent) => {
    const where: string = `${event.topic}/${event.partition}`;
    void where;
  });
  broker.once('actor-restart', (event) => event.downtimeMs.toFixed(0));
  // @ts-expect-error a misspelled event name does not compile
  broker.on('partition-recoverd', () => undefined);
  // @ts-expect-error a payload's fields are typed
  broker.on('actor-exit', (event) => event.nonexistent);
  const name: BrokerEvent = 'actor-failed';
  void name;

  // stats() is typed.
  const stats: ActorStats[] = await broker.stats();
  const sizes: number[] = stats.flatMap((actor) => actor.partitions.map((p) => p.sizeBytes));
  void sizes;

  // Options and configs.
  const topicOptions: TopicOptions = { partitions: 2, maxRecordBytes: 1000 };
  await broker.createTopic('t', topicOptions);
  // @ts-expect-error kafkajs's name is not Mamba's
  await broker.createTopic('u', { numPartitions: 2 });
  const config: TopicConfig = (await broker.describeTopic('t')).config;
  const brokerConfig: BrokerConfig = broker.config;
  const brokerOptions: BrokerOptions = { dataDir: '/tmp/x', maxRecordBytes: 1000 };
  void config;
  void brokerConfig;
  void brokerOptions;

  // Producers: a function partitioner only in this thread.
  const producer: Producer = broker.producer({ partitioner: (_key, count) => count - 1 });
  await producer.send('t', { value: 'v' });
  const named: PartitionerName = 'round-robin';
  const handleOptions: ProducerHandleOptions = { partitioner: named, acks: 1 };
  broker.producerHandle(handleOptions);
  // @ts-expect-error a function cannot cross threads, so a handle does not take one
  broker.producerHandle({ partitioner: (_key: Uint8Array | null, count: number) => count - 1 });
  // @ts-expect-error acks is 0, 1 or 'all'
  broker.producer({ acks: -1 });

  // Consumers: typed options and events.
  const assignor: AssignorName = 'range';
  const consumer: Consumer = broker.consumer({ groupId: 'g', fromBeginning: true, assignor });
  // @ts-expect-error a misspelled option name does not compile
  broker.consumer({ groupID: 'g' });
  consumer.on('assigned', (partitions) => partitions.map((tp) => tp.topic));
  consumer.on('revoked', (_partitions, reason) => reason === 'lost');
  // @ts-expect-error consumers have no such event
  consumer.on('assigend', () => undefined);
  await consumer.run({ eachMessage: (message: ConsumedMessage) => message.offset });

  const mode: CrashMode = 'throw';
  await broker.crashActor(0, mode);
  void MambaError.is(undefined, 'INVALID_CONFIG');
}

/** A handler module's function, typed with the exported names. */
export function handler(message: HandlerMessage, context: HandlerContext): number {
  return message.offset + (context.data === undefined ? 0 : 1);
}
