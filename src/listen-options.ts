/**
 * `broker.listen()` options, validated once at the edge: the listeners in Kafka's notation
 * (`PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093`) or the single `{ host, port }` of a
 * plaintext door, the TLS key and certificates, the SASL mechanisms, and the super users.
 *
 * Authorization is on as soon as one listener authenticates its clients (SSL, SASL_PLAINTEXT,
 * SASL_SSL): then every principal, `User:ANONYMOUS` on a plaintext listener included, may do
 * only what the ACLs grant it (super users excepted), as in Kafka with an authorizer and
 * `allow.everyone.if.no.acl.found=false`.
 */
import tls from 'node:tls';
import { connectionsMaxIdleMsDefault, timerDelayMsMax } from './constants.js';
import { invalidConfig } from './errors.js';
import {
  isObject, optionalInteger, parseHostPort, type BrokerConfig,
} from './options.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] =
  ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
export const SASL_MECHANISM_NAMES: readonly SaslMechanismName[] =
  ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface ListenOptions {
  /** Default 127.0.0.1: never every interface unless asked. Not with `listeners`. */
  host?: string;
  /** Default 9092; 0 lets the system choose (see `door.address()`). Not with `listeners`. */
  port?: number;
  /**
   * Kafka's notation, a comma-separated string or a list: `PLAINTEXT://127.0.0.1:9092`,
   * `SSL://…`, `SASL_PLAINTEXT://…`, `SASL_SSL://0.0.0.0:9093`; one listener per protocol.
   */
  listeners?: string | string[];
  /**
   * The `host:port` Metadata tells clients to connect to; default the bound address. With
   * several listeners, Kafka's notation (`SASL_SSL://kafka.example:9093,…`), by protocol.
   */
  advertise?: string;
  /** PEM key and certificate chain for SSL and SASL_SSL listeners; `ca` turns on mTLS for
   * SSL listeners (a client certificate it signed is required, its subject is the principal). */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  /** The SASL mechanisms SASL listeners offer. Default all three. */
  sasl?: { mechanisms?: SaslMechanismName[] };
  /** Principals (`User:admin`) allowed everything, whatever the ACLs say. */
  superUsers?: string[];
  /**
   * A connection with no request in flight that sends nothing for this long is closed
   * (Kafka's `connections.max.idle.ms`, default 600000: 10 minutes). A client that has not
   * logged in yet is held to it too, so an unauthenticated connection cannot stay forever.
   */
  connectionsMaxIdleMs?: number;
}

export interface ListenerConfig {
  protocol: SecurityProtocol;
  host: string;
  port: number;
  /** The host and port Metadata tells clients of this listener; default the bound address. */
  advertisedHost: string | undefined;
  advertisedPort: number | undefined;
}

export interface ListenConfig {
  listeners: ListenerConfig[];
  tls: { key: string; cert: string; ca: string | undefined } | undefined;
  saslMechanisms: SaslMechanismName[];
  superUsers: string[];
  /** True when a listener authenticates: every request is then checked against the ACLs. */
  authorization: boolean;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  maxRequestBytes: number;
  connectionsMaxIdleMs: number;
}

const listenOptionNames = ['host', 'port', 'listeners', 'advertise', 'tls', 'sasl', 'superUsers',
  'connectionsMaxIdleMs'];

export function resolveListenOptions(options: unknown, broker: BrokerConfig): ListenConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!listenOptionNames.includes(key)) {
      throw invalidConfig(`options.${key}`, options[key], 'absent (unknown option)');
    }
  }
  const listeners = options.listeners === undefined ? [singleListener(options)] :
    parseListeners(options);
  applyAdvertised(listeners, options.advertise);
  const secured = listeners.some((l) => l.protocol === 'SSL' || l.protocol === 'SASL_SSL');
  return {
    listeners,
    tls: resolveTls(options.tls, secured),
    saslMechanisms: resolveMechanisms(options.sasl),
    superUsers: resolveSuperUsers(options.superUsers),
    authorization: listeners.some((l) => l.protocol !== 'PLAINTEXT'),
    autoCreateTopics: broker.autoCreateTopics,
    defaultPartitions: broker.defaultPartitions,
    maxRequestBytes: broker.maxRequestBytes,
    connectionsMaxIdleMs: optionalInteger('options.connectionsMaxIdleMs',
      options.connectionsMaxIdleMs, connectionsMaxIdleMsDefault, 100, timerDelayMsMax),
  };
}

function singleListener(options: Record<string, unknown>): ListenerConfig {
  const { host = '127.0.0.1' } = options;
  if (typeof host !== 'string' || host.length === 0) {
    throw invalidConfig('options.host', host, 'a host name or address');
  }
  return {
    protocol: 'PLAINTEXT', host, port: optionalInteger('options.port', options.port, 9092, 0,
      65_535), advertisedHost: undefined, advertisedPort: undefined,
  };
}

/** Kafka's listener notation, one `PROTOCOL://host:port` per entry. */
export function parseListeners(options: Record<string, unknown>): ListenerConfig[] {
  if (options.host !== undefined || options.port !== undefined) {
    throw invalidConfig('options.host', options.host ?? options.port,
      'absent when options.listeners is given (put them in the listeners)');
  }
  const raw = options.listeners;
  const entries = typeof raw === 'string' ? raw.split(',') :
    Array.isArray(raw) && raw.every((e) => typeof e === 'string') ? raw as string[] : undefined;
  const expected = "'PROTOCOL://host:port' entries (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)";
  if (entries === undefined || entries.length === 0) {
    throw invalidConfig('options.listeners', raw, expected);
  }
  const listeners = entries.map((entry) => {
    const parsed = parseListener(entry.trim());
    if (parsed === undefined) throw invalidConfig('options.listeners', entry, expected);
    return { ...parsed, advertisedHost: undefined, advertisedPort: undefined };
  });
  for (const [i, listener] of listeners.entries()) {
    if (listeners.findIndex((l) => l.protocol === listener.protocol) !== i) {
      throw invalidConfig('options.listeners', raw, 'one listener per protocol');
    }
  }
  return listeners;
}

/** `PROTOCOL://host:port` (host may be `[v6]` or empty for every interface). */
function parseListener(text: string):
  { protocol: SecurityProtocol; host: string; port: number } | undefined {
  const match = /^([A-Z_]+):\/\/(.*)$/.exec(text);
  if (match === null) return undefined;
  const protocol = match[1] as SecurityProtocol;
  if (!SECURITY_PROTOCOLS.includes(protocol)) return undefined;
  const address = match[2].startsWith(':') ? parseHostPort(`0.0.0.0${match[2]}`) :
    parseHostPort(match[2]);
  if (address === undefined) return undefined;
  return { protocol, ...address };
}

function applyAdvertised(listeners: ListenerConfig[], advertise: unknown): void {
  if (advertise === undefined) return;
  const expected = listeners.length === 1 ? "'host:port'" :
    "'PROTOCOL://host:port,…' naming the listeners' protocols";
  if (typeof advertise !== 'string') throw invalidConfig('options.advertise', advertise, expected);
  for (const entry of advertise.split(',')) {
    const named = parseListener(entry.trim());
    const plain = named === undefined && listeners.length === 1 ? parseHostPort(entry.trim()) :
      undefined;
    const target = named !== undefined ?
      listeners.find((l) => l.protocol === named.protocol) : plain && listeners[0];
    const address = named ?? plain;
    if (target === undefined || address === undefined) {
      throw invalidConfig('options.advertise', advertise, expected);
    }
    target.advertisedHost = address.host;
    target.advertisedPort = address.port;
  }
}

function resolveTls(value: unknown, needed: boolean): ListenConfig['tls'] {
  if (value === undefined) {
    if (needed) {
      throw invalidConfig('options.tls', value, 'a { key, cert } for SSL and SASL_SSL listeners');
    }
    return undefined;
  }
  const pem = (name: string, field: unknown, optional: boolean): string | undefined => {
    if (optional && field === undefined) return undefined;
    if (typeof field === 'string' && field.length > 0) return field;
    if (Buffer.isBuffer(field) && field.length > 0) return field.toString('utf8');
    throw invalidConfig(`options.tls.${name}`, field, 'PEM text (a string or Buffer)');
  };
  if (!isObject(value)) throw invalidConfig('options.tls', value, 'an object { key, cert, ca? }');
  const resolved = {
    key: pem('key', value.key, false)!, cert: pem('cert', value.cert, false)!,
    ca: pem('ca', value.ca, true),
  };
  try {
    tls.createSecureContext(resolved);
  } catch (error) {
    throw invalidConfig('options.tls', '(PEM)', `a matching key and certificate: ${
      (error as Error).message}`);
  }
  return resolved;
}

function resolveMechanisms(value: unknown): SaslMechanismName[] {
  if (value === undefined) return [...SASL_MECHANISM_NAMES];
  if (!isObject(value)) throw invalidConfig('options.sasl', value, 'an object { mechanisms }');
  const mechanisms = value.mechanisms ?? SASL_MECHANISM_NAMES;
  if (!Array.isArray(mechanisms) || mechanisms.length === 0 ||
    !mechanisms.every((m) => SASL_MECHANISM_NAMES.includes(m as SaslMechanismName))) {
    throw invalidConfig('options.sasl.mechanisms', mechanisms,
      `a non-empty list of ${SASL_MECHANISM_NAMES.join(', ')}`);
  }
  return [...new Set(mechanisms as SaslMechanismName[])];
}

function resolveSuperUsers(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) ||
    !value.every((p) => typeof p === 'string' && /^[A-Za-z]+:.+$/s.test(p))) {
    throw invalidConfig('options.superUsers', value, "a list of principals ('User:admin')");
  }
  return [...value as string[]];
}
