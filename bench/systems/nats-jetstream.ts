/**
 * Peer: NATS JetStream, file storage, through the `nats` client. A batch is a run of
 * `js.publish` calls whose acknowledgements (PubAcks) are awaited together, the client's
 * asynchronous-publish pattern; several batches are in flight per connection. A consumer is an
 * ordered pull consumer iterated with `consume()`.
 *
 * Durability:
 * - acks=1: file storage with the server's default sync interval (fsync every 2 minutes); the
 *   server acknowledges once the message is in its write buffer for the block file, which it
 *   writes to the file (page cache) shortly after — no stronger than Mamba's acks=1.
 * - acks=all: file storage with `sync_interval: always` (an fsync on every write), which only
 *   nats-server 2.10 and later have; older servers have no setting that fsyncs before the
 *   acknowledgement, so NATS is skipped at this level rather than compared unequally.
 */
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import type { MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';
import { importOptional } from '../peers/optional-import.js';
import { isPortOpen, peerScenarioLimits } from '../peers/peer-checks.js';
import { peerHost, peerPorts, peersScriptHint } from '../peers/peer-ports.js';

/** The part of the `nats` client this system uses. */
interface NatsModule {
  connect(options: Record<string, unknown>): Promise<NatsConnection>;
}
interface NatsConnection {
  readonly info?: { readonly version: string };
  jetstreamManager(): Promise<{ streams: StreamsApi }>;
  jetstream(): JetStream;
  close(): Promise<void>;
}
interface StreamsApi {
  add(config: Record<string, unknown>): Promise<unknown>;
  delete(name: string): Promise<boolean>;
}
interface JetStream {
  publish(subject: string, payload: Uint8Array): Promise<unknown>;
  consumers: { get(stream: string): Promise<{ consume(opts: object): Promise<Messages> }> };
}
interface Messages extends AsyncIterable<{ readonly data: Uint8Array }> {
  stop(): void;
}

const streamName = 'MAMBA_BENCH';
const subject = 'mamba.bench';
const consumeBatchMessages = 1000;

/** nats-server 2.10.0 added `sync_interval`; compares `major.minor`. */
function hasSyncIntervalOption(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

class NatsJetStreamSystem implements BenchSystem {
  readonly name = 'nats-jetstream';
  readonly durability: string;
  private readonly port: number;
  private nats: NatsModule | undefined;
  private connections: NatsConnection[] = [];

  constructor(readonly acks: 1 | 'all') {
    this.port = acks === 'all' ? peerPorts.natsFsync : peerPorts.natsPageCache;
    this.durability = acks === 'all'
      ? 'file storage, sync_interval: always (fsync on every write)'
      : 'file storage, default sync_interval (fsync every 2 min; page cache)';
  }

  async unsupportedReason(scenario: Scenario): Promise<string | undefined> {
    const limit = peerScenarioLimits(scenario);
    if (limit !== undefined) return limit;
    this.nats = await importOptional<NatsModule>('nats');
    if (this.nats === undefined) return 'the nats client is not installed (npm install nats)';
    if (!(await isPortOpen(this.port))) {
      return this.acks === 'all'
        ? `no NATS with sync_interval: always on ${peerHost}:${this.port} (nats-server < 2.10 ` +
          'cannot fsync before acknowledging; scripts/peers.sh starts it only when it can)'
        : `no NATS on ${peerHost}:${this.port} (${peersScriptHint})`;
    }
    const connection = await this.connect();
    const version = connection.info?.version ?? '0';
    if (this.acks === 'all' && !hasSyncIntervalOption(version)) {
      return `nats-server ${version} has no sync_interval: always`;
    }
    return undefined;
  }

  private async connect(): Promise<NatsConnection> {
    const connection = await this.nats!.connect({
      servers: `${peerHost}:${this.port}`, reconnect: false, timeout: 2000,
    });
    this.connections.push(connection);
    return connection;
  }

  async setup(): Promise<void> {
    const manager = await this.connections[0]!.jetstreamManager();
    await manager.streams.delete(streamName).catch(() => false);
    await manager.streams.add({
      name: streamName, subjects: [subject], storage: 'file', retention: 'limits',
      discard: 'old', num_replicas: 1,
    });
  }

  async openProducer(): Promise<BenchProducer> {
    const jetStream = (await this.connect()).jetstream();
    return {
      async sendBatch(batch: MessageBatch): Promise<void> {
        const acks: Promise<unknown>[] = [];
        for (const value of batch.values) acks.push(jetStream.publish(subject, value));
        await Promise.all(acks);
      },
      close: async () => undefined,
    };
  }

  async openConsumer(_consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const jetStream = (await this.connect()).jetstream();
    const consumer = await jetStream.consumers.get(streamName);
    const messages = await consumer.consume({ max_messages: consumeBatchMessages });
    const done = (async () => {
      for await (const message of messages) sink.receivedValues([message.data]);
    })();
    return {
      close: async () => {
        messages.stop();
        await done;
      },
    };
  }

  async teardown(): Promise<void> {
    if (this.connections.length > 0) {
      const manager = await this.connections[0]!.jetstreamManager().catch(() => undefined);
      await manager?.streams.delete(streamName).catch(() => false);
    }
    await Promise.all(this.connections.map((connection) => connection.close()));
    this.connections = [];
  }
}

export const natsJetStreamFactory: BenchSystemFactory = {
  name: 'nats-jetstream',
  create: (acks: AcksLevel) => (acks === 0 ? undefined : new NatsJetStreamSystem(acks)),
};
