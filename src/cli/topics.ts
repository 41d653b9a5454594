/**
 * `mamba topics list|describe|create|delete|alter`: on a data directory (`--data-dir`) or
 * through a running broker (`--bootstrap host:port`, over the Kafka protocol).
 */
import { Broker } from '../broker.js';
import { MambaError } from '../errors.js';
import { topicOptionsFrom } from '../door/index.js';
import { resolveTopicOptions } from '../options.js';
import { alterTopicOffline, type DataDirView } from '../ops/index.js';
import type { RemoteBroker } from '../remote/index.js';
import { parseCommandLine } from './command-line.js';
import {
  ADMIN_EXIT_CODES, configEntries, connectBootstrap, integerFlag, printJson, printTable,
  runAdmin, subcommandOf, targetOf, withReadView, withWriteLock,
} from './admin-cli.js';

const usage = `usage: mamba topics <subcommand> (--data-dir DIR | --bootstrap host:port) [options]

  list                                     the topics and their partition counts
  describe [--topic T]                     per partition: log start, end (high watermark),
                                           segments and bytes (data dir), recovery point
  create --topic T [--partitions N] [--config retention.ms=…,segment.bytes=…]
  delete --topic T
  alter --topic T [--partitions N] [--config k=v,…]   data dir only, no broker running:
                                           retention.ms, retention.bytes, segment.bytes,
                                           segment.ms; partitions only upwards

  --json        JSON on stdout instead of a table

With --data-dir, reads take the directory's lock when it is free and read the files
read-only when a running broker holds it; create, delete and alter need the lock (open the
broker, or rewrite the manifest) and otherwise say to use --bootstrap.

${ADMIN_EXIT_CODES}`;

const flags = {
  'data-dir': { type: 'string' }, bootstrap: { type: 'string' }, json: { type: 'boolean' },
  topic: { type: 'string' }, partitions: { type: 'string' }, config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof flags>>;

export function topicsCommand(args: string[]): Promise<number> {
  return runAdmin('topics', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(usage);
      return 0;
    }
    const sub = subcommandOf('topics', args, ['list', 'describe', 'create', 'delete', 'alter']);
    const values = parseCommandLine(args.slice(1), flags);
    const target = targetOf(values);
    if ('bootstrap' in target) {
      const client = await connectBootstrap(target.bootstrap);
      try {
        return await remote(client, sub, values);
      } finally {
        await client.close();
      }
    }
    return local(target.dataDir, sub, values);
  });
}

function topicFlag(values: Values): string {
  if (values.topic === undefined) throw new MambaError('INVALID_CONFIG', 'give --topic NAME');
  return values.topic;
}

async function local(dataDir: string, sub: string, values: Values): Promise<number> {
  switch (sub) {
    case 'list':
      return withReadView(dataDir, (view) => list(view.topics().map((t) => ({
        name: t.name, partitions: t.config.partitions })), values));
    case 'describe':
      return withReadView(dataDir, (view) => describeLocal(view, values));
    case 'create': {
      const topic = topicFlag(values);
      const options = topicOptionsFrom(integerFlag('--partitions', values.partitions, 1) ?? 1,
        configEntries(values.config));
      resolveTopicOptions(options);
      await withWriteLock(dataDir, 'creating a topic', async (lock) => {
        lock.release();
        const broker = await Broker.open({ dataDir, actors: 1 });
        try {
          await broker.createTopic(topic, options);
        } finally {
          await broker.close();
        }
      });
      return done(values, { created: topic, partitions: options.partitions });
    }
    case 'delete': {
      const topic = topicFlag(values);
      await withWriteLock(dataDir, 'deleting a topic', async (lock) => {
        lock.release();
        const broker = await Broker.open({ dataDir, actors: 1 });
        try {
          await broker.deleteTopic(topic);
        } finally {
          await broker.close();
        }
      });
      return done(values, { deleted: topic });
    }
    default: {
      const topic = topicFlag(values);
      const changed = await withWriteLock(dataDir, 'altering a topic', async () =>
        alterTopicOffline(dataDir, topic, {
          partitions: integerFlag('--partitions', values.partitions, 1),
          configs: configEntries(values.config),
        }));
      return done(values, { altered: topic, ...changed });
    }
  }
}

/** Every topic (or one) as Broker.connect describes it: watermarks and settings. */
export async function describeRemote(client: RemoteBroker, topic?: string):
  Promise<Awaited<ReturnType<RemoteBroker['describeTopic']>>[]> {
  const names = topic === undefined ? (await client.listTopics()).sort() : [topic];
  const described = [];
  for (const name of names) described.push(await client.describeTopic(name));
  return described;
}

async function remote(client: RemoteBroker, sub: string, values: Values): Promise<number> {
  switch (sub) {
    case 'list':
      return list((await describeRemote(client)).map((t) => ({
        name: t.topic, partitions: t.partitions.length })), values);
    case 'describe': {
      const topics = await describeRemote(client, values.topic);
      if (values.json === true) {
        printJson(topics);
      } else {
        printTable(['TOPIC', 'PARTITION', 'LOG-START', 'HIGH-WATERMARK', 'LEADER'],
          topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition,
            p.logStartOffset, p.highWatermark, p.leaderId])));
      }
      return 0;
    }
    case 'create': {
      const topic = topicFlag(values);
      const partitions = integerFlag('--partitions', values.partitions, 1);
      const { partitions: _, ...settings } = topicOptionsFrom(partitions ?? 1,
        configEntries(values.config));
      await client.createTopic(topic, partitions === undefined ? settings :
        { ...settings, partitions });
      return done(values, { created: topic, partitions: partitions ?? 'the broker\'s default' });
    }
    case 'delete': {
      const topic = topicFlag(values);
      await client.deleteTopic(topic);
      return done(values, { deleted: topic });
    }
    default:
      throw new MambaError('INVALID_CONFIG', 'topics alter works on a data directory only ' +
        '(the Kafka door has no AlterConfigs or CreatePartitions yet): stop the broker and ' +
        'use --data-dir');
  }
}

function list(topics: Array<{ name: string; partitions: number }>, values: Values): number {
  if (values.json === true) printJson(topics);
  else printTable(['TOPIC', 'PARTITIONS'], topics.map((t) => [t.name, t.partitions]));
  return 0;
}

function describeLocal(view: DataDirView, values: Values): number {
  const records = values.topic === undefined ? view.topics() : [view.topic(values.topic)];
  const topics = records.map((record) => ({
    topic: record.name, uuid: record.uuid, config: record.config,
    partitions: view.partitions(record).map((p) => ({
      partition: p.partition, logStartOffset: p.logStartOffset, endOffset: p.endOffset,
      segments: p.segments.length, dataBytes: p.dataBytes, recoveryPoint: p.recoveryPoint,
      damage: p.damage,
    })),
  }));
  if (values.json === true) {
    printJson(topics);
    return 0;
  }
  printTable(['TOPIC', 'PARTITION', 'LOG-START', 'END-OFFSET', 'SEGMENTS', 'DATA-BYTES',
    'RECOVERY-POINT', 'DAMAGE'], topics.flatMap((t) => t.partitions.map((p) => [
    t.topic, p.partition, p.logStartOffset, p.endOffset, p.segments, p.dataBytes,
    p.recoveryPoint, p.damage ?? ''])));
  return 0;
}

function done(values: Values, result: Record<string, unknown>): number {
  if (values.json === true) printJson(result);
  else console.log(Object.entries(result).map(([k, v]) =>
    `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n'));
  return 0;
}
