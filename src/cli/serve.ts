/**
 * `mamba serve`: a broker in the foreground with a Kafka door, for clients in other processes
 * and languages (kcat, kafkajs, librdkafka, Java …). Topics are auto-created on Metadata and
 * Produce. SIGINT or SIGTERM stops accepting connections, lets in-flight requests finish,
 * flushes and checkpoints every partition, and exits 0.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Broker } from '../broker.js';
import { MambaError, invalidConfig } from '../errors.js';
import { actorsMax, partitionsPerTopicMax, timerDelayMsMax } from '../constants.js';
import { parseHostPort } from '../options.js';
import type { ListenOptions, SaslMechanismName } from '../listen-options.js';

const serveOptions = {
  'data-dir': { type: 'string', default: './data' },
  listen: { type: 'string', default: '127.0.0.1:9092' },
  actors: { type: 'string' },
  advertise: { type: 'string' },
  partitions: { type: 'string', default: '3' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'sasl-mechanisms': { type: 'string' },
  'super-users': { type: 'string' },
  http: { type: 'string' },
  alerts: { type: 'string' },
  'connections-max-idle-ms': { type: 'string' },
} as const;

const serveUsage = `usage: mamba serve [--data-dir ./data] [--listen 127.0.0.1:9092] [--actors N]
                   [--advertise host:port] [--partitions 3]
                   [--tls-cert server.pem --tls-key server.key [--tls-ca ca.pem]]
                   [--sasl-mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512]
                   [--super-users User:admin;User:ops]
                   [--http 127.0.0.1:9644] [--alerts alerts.yaml]
                   [--connections-max-idle-ms 600000]
  --listen takes host:port, or Kafka's listeners: PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093
  (also SSL and SASL_PLAINTEXT). With a listener other than PLAINTEXT every request is checked
  against the ACLs (mamba acls); users are managed with mamba users. --http serves /metrics,
  /healthz, /readyz and the dashboard; --alerts evaluates the rules of a YAML file.`;

interface ServeOptions {
  dataDir: string;
  listen: ListenOptions;
  actors: number | undefined;
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
  const http = values.http === undefined ? undefined : parseHostPort(values.http);
  if (values.http !== undefined && http === undefined) {
    throw invalidConfig('--http', values.http, "'host:port'");
  }
  return {
    dataDir: values['data-dir']!, listen: listenOptions(values),
    actors: values.actors === undefined ? undefined :
      integerArg('--actors', values.actors, 1, actorsMax),
    defaultPartitions: integerArg('--partitions', values.partitions!, 1, partitionsPerTopicMax),
    http, alerts: values.alerts,
  };
}

type Values = Partial<Record<keyof typeof serveOptions, string>>;

/** `broker.listen()` options from the flags; the files are read here, checked by listen(). */
function listenOptions(values: Values): ListenOptions {
  const options: ListenOptions = { advertise: values.advertise };
  const listen = values.listen!;
  if (listen.includes('://')) {
    options.listeners = listen;
  } else {
    const address = parseHostPort(listen);
    if (address === undefined) {
      throw invalidConfig('--listen', listen, "'host:port' or 'PROTOCOL://host:port,…'");
    }
    Object.assign(options, address);
  }
  if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) {
    if (values['tls-cert'] === undefined || values['tls-key'] === undefined) {
      throw invalidConfig('--tls-cert', values['tls-cert'], 'given with --tls-key');
    }
    options.tls = {
      cert: readPem('--tls-cert', values['tls-cert']), key: readPem('--tls-key', values['tls-key']),
      ca: values['tls-ca'] === undefined ? undefined : readPem('--tls-ca', values['tls-ca']),
    };
  } else if (values['tls-ca'] !== undefined) {
    throw invalidConfig('--tls-ca', values['tls-ca'], 'given with --tls-cert and --tls-key');
  }
  if (values['sasl-mechanisms'] !== undefined) {
    options.sasl = {
      mechanisms: values['sasl-mechanisms'].split(',').map((m) => m.trim()) as
        SaslMechanismName[],
    };
  }
  if (values['connections-max-idle-ms'] !== undefined) {
    options.connectionsMaxIdleMs = integerArg('--connections-max-idle-ms',
      values['connections-max-idle-ms'], 100, timerDelayMsMax);
  }
  if (values['super-users'] !== undefined) {
    // Kafka's super.users is `;`-separated, since a certificate's name holds commas.
    options.superUsers = values['super-users'].split(';').map((p) => p.trim())
      .filter((p) => p.length > 0);
  }
  return options;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidConfig(flag, file, `a readable PEM file (${(error as Error).message})`);
  }
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
    door = await broker.listen(options.listen);
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
  for (const { protocol, host, port } of door.addresses()) {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    console.log(protocol === 'PLAINTEXT' ? `listening on ${where}` :
      `listening on ${protocol}://${where}`);
  }
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
