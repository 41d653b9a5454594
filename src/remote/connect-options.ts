/**
 * `Broker.connect()`'s options, validated once at the public edge and filled with defaults.
 *
 * ```ts
 * await Broker.connect({ brokers: ['127.0.0.1:9092'], clientId: 'billing',
 *   ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'app', password: '…' } });
 * ```
 */
import type { ConnectionOptions } from 'node:tls';
import { invalidConfig } from '../errors.js';
import { isObject, optionalInteger } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

export interface ConnectOptions {
  /** Bootstrap brokers, `host:port` each; the rest of the cluster is learnt from Metadata. */
  brokers: readonly string[];
  /** Sent with every request (Kafka's client.id); default 'mamba'. */
  clientId?: string;
  /** TLS: true for the system's trusted CAs, or node:tls options (ca, cert, key, servername…). */
  ssl?: boolean | ConnectionOptions;
  sasl?: SaslOptions;
  /** How long a request may wait for its response before the connection is dropped (30 s). */
  requestTimeoutMs?: number;
  /** How long a TCP (and TLS) connect may take (10 s). */
  connectTimeoutMs?: number;
  /** How long retriable failures (reconnects, leader moves) are retried before one is thrown. */
  retryTimeoutMs?: number;
  /** The first reconnect backoff (100 ms); it doubles up to `reconnectBackoffMsMax` (10 s). */
  reconnectBackoffMs?: number;
  reconnectBackoffMsMax?: number;
  /** How often metadata is refreshed when nothing asked for it (5 min, Kafka's default). */
  metadataMaxAgeMs?: number;
}

const connectOptionNames: OptionNames<ConnectOptions> = {
  brokers: true, clientId: true, ssl: true, sasl: true, requestTimeoutMs: true,
  connectTimeoutMs: true, retryTimeoutMs: true, reconnectBackoffMs: true,
  reconnectBackoffMsMax: true, metadataMaxAgeMs: true,
};

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ConnectConfig {
  brokers: BrokerAddress[];
  clientId: string;
  ssl: ConnectionOptions | undefined;
  sasl: SaslOptions | undefined;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  retryTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMsMax: number;
  metadataMaxAgeMs: number;
}

const mechanisms: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

export function resolveConnectOptions(options: unknown): ConnectConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, connectOptionNames);
  const { brokers, clientId = 'mamba', ssl, sasl } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw invalidConfig('options.brokers', brokers, "a non-empty array of 'host:port'");
  }
  if (typeof clientId !== 'string') throw invalidConfig('options.clientId', clientId, 'a string');
  const backoff = optionalInteger('options.reconnectBackoffMs', options.reconnectBackoffMs, 100,
    1, 60_000);
  return {
    brokers: brokers.map((b: unknown, i) => parseAddress(b, `options.brokers[${i}]`)),
    clientId,
    ssl: resolveSsl(ssl),
    sasl: resolveSasl(sasl),
    requestTimeoutMs: optionalInteger('options.requestTimeoutMs', options.requestTimeoutMs,
      30_000, 1, 3_600_000),
    connectTimeoutMs: optionalInteger('options.connectTimeoutMs', options.connectTimeoutMs,
      10_000, 1, 600_000),
    retryTimeoutMs: optionalInteger('options.retryTimeoutMs', options.retryTimeoutMs, 30_000, 0,
      3_600_000),
    reconnectBackoffMs: backoff,
    reconnectBackoffMsMax: optionalInteger('options.reconnectBackoffMsMax',
      options.reconnectBackoffMsMax, Math.max(backoff, 10_000), backoff, 600_000),
    metadataMaxAgeMs: optionalInteger('options.metadataMaxAgeMs', options.metadataMaxAgeMs,
      300_000, 100, 86_400_000),
  };
}

export function parseAddress(value: unknown, name: string): BrokerAddress {
  const match = typeof value === 'string' ? /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value) : null;
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw invalidConfig(name, value, "'host:port'");
  }
  return { host: match[1], port };
}

function resolveSsl(ssl: unknown): ConnectionOptions | undefined {
  if (ssl === undefined || ssl === false) return undefined;
  if (ssl === true) return {};
  if (isObject(ssl)) return ssl as ConnectionOptions;
  throw invalidConfig('options.ssl', ssl, 'a boolean or node:tls connection options');
}

function resolveSasl(sasl: unknown): SaslOptions | undefined {
  if (sasl === undefined) return undefined;
  if (!isObject(sasl)) {
    throw invalidConfig('options.sasl', sasl, '{ mechanism, username, password }');
  }
  rejectUnknownOptions(sasl, { mechanism: true, username: true, password: true }, 'sasl.');
  const mechanism = typeof sasl.mechanism === 'string' ? sasl.mechanism.toLowerCase() : undefined;
  if (!mechanisms.includes(mechanism as SaslMechanism)) {
    throw invalidConfig('options.sasl.mechanism', sasl.mechanism, mechanisms.join(', '));
  }
  for (const key of ['username', 'password'] as const) {
    if (typeof sasl[key] !== 'string' || sasl[key] === '') {
      throw invalidConfig(`options.sasl.${key}`, key === 'password' ? '…' : sasl[key],
        'a non-empty string');
    }
  }
  return { mechanism: mechanism as SaslMechanism, username: sasl.username as string,
    password: sasl.password as string };
}
