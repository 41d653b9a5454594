/**
 * Peer: Redis Streams through ioredis. A batch is one pipeline of XADD commands (one stream
 * entry per message, field `v`), the way ioredis is used for throughput; several pipelines
 * are in flight per connection. A consumer reads with XREAD COUNT 1000 BLOCK 100.
 *
 * Durability (checked against the server with CONFIG GET before running):
 * - acks=1: `appendonly yes`, `appendfsync no` — Redis writes the AOF before replying, so an
 *   acknowledged entry is in the page cache; the OS flushes it when it likes.
 * - acks=all: `appendonly yes`, `appendfsync always` — Redis fsyncs the AOF before replying
 *   (one fsync per event-loop turn, which group-commits every client's pending writes).
 */
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import { asBuffer, type MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';
import { importOptional } from '../peers/optional-import.js';
import { isPortOpen, peerScenarioLimits } from '../peers/peer-checks.js';
import { peerHost, peerPorts, peersScriptHint } from '../peers/peer-ports.js';

/** The part of ioredis this system uses. */
interface RedisClient {
  pipeline(): RedisPipeline;
  config(verb: 'GET', name: string): Promise<string[]>;
  del(key: string): Promise<number>;
  xreadBuffer(...args: (string | number)[]): Promise<[Buffer, [Buffer, Buffer[]][]][] | null>;
  quit(): Promise<unknown>;
  disconnect(): void;
}
interface RedisPipeline {
  xadd(key: string, id: string, field: string, value: Buffer): RedisPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}
type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;

const streamKey = 'mamba-bench';
const readCount = 1000;
const readBlockMs = 100;

class RedisStreamsSystem implements BenchSystem {
  readonly name = 'redis-streams';
  readonly durability: string;
  private readonly port: number;
  private readonly appendfsync: 'no' | 'always';
  private Redis: RedisConstructor | undefined;
  private clients: RedisClient[] = [];

  constructor(readonly acks: 1 | 'all') {
    this.port = acks === 'all' ? peerPorts.redisFsync : peerPorts.redisPageCache;
    this.appendfsync = acks === 'all' ? 'always' : 'no';
    this.durability = acks === 'all'
      ? 'appendonly yes, appendfsync always (AOF fsync before reply)'
      : 'appendonly yes, appendfsync no (AOF written to page cache before reply)';
  }

  async unsupportedReason(scenario: Scenario): Promise<string | undefined> {
    const limit = peerScenarioLimits(scenario);
    if (limit !== undefined) return limit;
    const module = await importOptional<{ Redis: RedisConstructor }>('ioredis');
    if (module === undefined) return 'ioredis is not installed (npm install ioredis)';
    if (!(await isPortOpen(this.port))) {
      return `no Redis on ${peerHost}:${this.port} (${peersScriptHint})`;
    }
    this.Redis = module.Redis;
    const client = this.connect();
    try {
      const [, setting] = await client.config('GET', 'appendfsync');
      const [, appendonly] = await client.config('GET', 'appendonly');
      if (setting !== this.appendfsync || appendonly !== 'yes') {
        return `Redis on port ${this.port} has appendonly ${appendonly}, appendfsync ${setting}; ` +
          `expected yes, ${this.appendfsync}`;
      }
      return undefined;
    } finally {
      client.disconnect();
      this.clients.pop();
    }
  }

  private connect(): RedisClient {
    const client = new this.Redis!({
      host: peerHost, port: this.port, maxRetriesPerRequest: 1, enableOfflineQueue: true,
      retryStrategy: () => null,
    });
    this.clients.push(client);
    return client;
  }

  async setup(): Promise<void> {
    await this.connect().del(streamKey);
  }

  async openProducer(): Promise<BenchProducer> {
    const client = this.connect();
    return {
      async sendBatch(batch: MessageBatch): Promise<void> {
        const pipeline = client.pipeline();
        for (const value of batch.values) pipeline.xadd(streamKey, '*', 'v', asBuffer(value));
        const replies = await pipeline.exec();
        const failed = replies?.find(([error]) => error !== null);
        if (failed !== undefined) throw failed[0];
      },
      close: async () => undefined,
    };
  }

  async openConsumer(_consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const client = this.connect();
    let open = true;
    const loop = async (): Promise<void> => {
      let lastId = '0-0';
      while (open) {
        const reply = await client.xreadBuffer(
          'COUNT', readCount, 'BLOCK', readBlockMs, 'STREAMS', streamKey, lastId);
        const entries = reply?.[0]?.[1];
        if (entries === undefined || entries.length === 0) continue;
        // Each entry is [id, [field, value]].
        sink.receivedValues(entries.map((entry) => entry[1][1]!));
        lastId = entries[entries.length - 1]![0].toString();
      }
    };
    const done = loop();
    return {
      close: async () => {
        open = false;
        await done;
      },
    };
  }

  async teardown(): Promise<void> {
    if (this.clients.length > 0) await this.clients[0]!.del(streamKey).catch(() => 0);
    await Promise.all(this.clients.map((client) => client.quit().catch(() => undefined)));
    this.clients = [];
  }
}

export const redisStreamsFactory: BenchSystemFactory = {
  name: 'redis-streams',
  create: (acks: AcksLevel) => (acks === 0 ? undefined : new RedisStreamsSystem(acks)),
};
