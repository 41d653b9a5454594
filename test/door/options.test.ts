/** The door's options are validated once, at the edge, with the option named in the error. */
import { expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import { parseHostPort, resolveBrokerOptions } from '../../src/options.js';
import { resolveListenOptions } from '../../src/listen-options.js';

it('fills the door defaults and rejects bad values', () => {
  const broker = resolveBrokerOptions({ dataDir: '/d' });
  expect(broker).toMatchObject({
    autoCreateTopics: false, defaultPartitions: 3, maxRequestBytes: 100 * 1024 * 1024,
  });
  for (const bad of [{ autoCreateTopics: 'yes' }, { defaultPartitions: 0 },
    { maxRequestBytes: 10 }]) {
    expect(() => resolveBrokerOptions({ dataDir: '/d', ...bad })).toThrow(MambaError);
  }
  expect(resolveListenOptions({}, broker)).toMatchObject({
    listeners: [{ protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }],
    authorization: false, connectionsMaxIdleMs: 600_000,
  });
  expect(resolveListenOptions({ port: 0, advertise: 'kafka.local:19092' }, broker))
    .toMatchObject({ listeners: [{ port: 0, advertisedHost: 'kafka.local',
      advertisedPort: 19092 }] });
  for (const bad of [{ port: 70_000 }, { host: '' }, { advertise: 'nohost' }, { tls: true },
    { connectionsMaxIdleMs: 0 }, { connectionsMaxIdleMs: 2 ** 31 },
    { connectionsMaxIdleMs: '5' }]) {
    expect(() => resolveListenOptions(bad, broker), JSON.stringify(bad))
      .toThrow(/INVALID_CONFIG|must be/);
  }
  expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  expect(parseHostPort('127.0.0.1:99999')).toBeUndefined();
});

it("reads listeners in Kafka's notation", () => {
  const broker = resolveBrokerOptions({ dataDir: '/d' });
  const config = resolveListenOptions({
    listeners: 'PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://[::1]:9094',
    advertise: 'SASL_PLAINTEXT://kafka.local:19094',
    sasl: { mechanisms: ['SCRAM-SHA-512'] }, superUsers: ['User:admin'],
  }, broker);
  expect(config).toMatchObject({
    listeners: [
      { protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: undefined },
      { protocol: 'SASL_PLAINTEXT', host: '::1', port: 9094, advertisedHost: 'kafka.local',
        advertisedPort: 19094 },
    ],
    saslMechanisms: ['SCRAM-SHA-512'], superUsers: ['User:admin'], authorization: true,
  });
  for (const bad of [
    { listeners: 'HTTP://127.0.0.1:80' }, { listeners: 'PLAINTEXT://127.0.0.1' },
    { listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2' },
    { listeners: 'PLAINTEXT://a:1', port: 3 },
    { listeners: 'SASL_SSL://127.0.0.1:9093' }, // no tls
    { listeners: 'SASL_PLAINTEXT://a:1', sasl: { mechanisms: ['GSSAPI'] } },
    { listeners: 'SASL_PLAINTEXT://a:1', superUsers: ['alice'] },
    { listeners: 'SSL://a:1', tls: { key: 'not pem', cert: 'not pem' } },
  ]) {
    expect(() => resolveListenOptions(bad, broker), JSON.stringify(bad)).toThrow(MambaError);
  }
});
