/**
 * `mamba serve`: a broker in the foreground with a Kafka door, for clients in other processes
 * and languages (kcat, kafkajs, librdkafka, Java …). Topics are auto-created on Metadata and
 * Produce. SIGINT or SIGTERM stops accepting connections, lets in-flight requests finish,
 * flushes and checkpoints every partition, and exits 0.
 */
import { parseArgs } from 'node:util';
import { Broker } from '../broker.js';
import { MambaError, invalidConfig } from '../errors.js';
import { actorsMax, partitionsPerTopicMax } from '../constants.js';
import { parseHostPort } from '../options.js';

const serveOptions = {
  'data-dir': { type: 'string', default: './data' },
  listen: { type: 'string', default: '127.0.0.1:9092' },
  actors: { type: 'string' },
  advertise: { type: 'string' },
  partitions: { type: 'string', default: '3' },
  http: { type: 'string' },
  alerts: { type: 'string' },
} as const;

const serveUsage = `usage: mamba serve [--data-dir ./data] [--listen 127.0.0.1:9092] [--actors N]
                   [--advertise host:port] [--partitions 3]
                   [--http 127.0.0.1:9644] [--alerts alerts.yaml]`;

interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  actors: number | undefined;
  advertise: string | undefined;
  defaultPartitions: number;
  /** The operations HTTP port (metrics, health, dashboard), if asked for. */
  http: { host: string; port: number } | undefined;
  alerts: string | undefined;
}

function parse(args: string[]): ServeOptions {
  let values;
  try {
    ({ values } = parseArgs({ args, options: serveOptions }));
  } catch (error) {
    throw new MambaError('INVALID_CONFIG', `${(error as Error).message}\n${serveUsage}`);
  }
  const listen = parseHostPort(values.listen!);
  if (listen === undefined) throw invalidConfig('--listen', values.listen, "'host:port'");
  const http = values.http === undefined ? undefined : parseHostPort(values.http);
  if (values.http !== undefined && http === undefined) {
    throw invalidConfig('--http', values.http, "'host:port'");
  }
  return {
    dataDir: values['data-dir']!, host: listen.host, port: listen.port,
    actors: values.actors === undefined ? undefined :
      integerArg('--actors', values.actors, 1, actorsMax),
    advertise: values.advertise,
    defaultPartitions: integerArg('--partitions', values.partitions!, 1, partitionsPerTopicMax),
    http, alerts: values.alerts,
  };
}

function integerArg(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(name, text, `an integer from ${min} to ${max}`);
  }
  return value;
}

export async function serveCommand(args: string[]): Promise<number> {
  const options = parse(args);
  const broker = await Broker.open({
    dataDir: options.dataDir, actors: options.actors, autoCreateTopics: true,
    defaultPartitions: options.defaultPartitions,
  });
  let door;
  try {
    door = await broker.listen({
      host: options.host, port: options.port, advertise: options.advertise,
    });
    if (options.alerts !== undefined) await broker.alerts(options.alerts);
    if (options.http !== undefined) {
      const address = (await broker.listenHttp(options.http)).address();
      console.log(`http (metrics, dashboard) on http://${address.host.includes(':')
        ? `[${address.host}]` : address.host}:${address.port}/`);
    }
  } catch (error) {
    await broker.close();
    throw error;
  }
  const { host, port } = door.address();
  console.log(`listening on ${host.includes(':') ? `[${host}]` : host}:${port}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(`mamba serve: ${signal}: closing connections, flushing, checkpointing`);
  await door.close();
  await broker.checkpoint();
  await broker.close();
  console.log('mamba serve: stopped');
  return 0;
}
