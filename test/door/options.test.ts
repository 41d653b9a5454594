/** The door's options are validated once, at the edge, with the option named in the error. */
import { expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import {
  parseHostPort, resolveBrokerOptions, resolveListenOptions,
} from '../../src/options.js';

it('fills the door defaults and rejects bad values', () => {
  const broker = resolveBrokerOptions({ dataDir: '/d' });
  expect(broker).toMatchObject({
    autoCreateTopics: false, defaultPartitions: 3, maxRequestBytes: 100 * 1024 * 1024,
  });
  for (const bad of [{ autoCreateTopics: 'yes' }, { defaultPartitions: 0 },
    { maxRequestBytes: 10 }]) {
    expect(() => resolveBrokerOptions({ dataDir: '/d', ...bad })).toThrow(MambaError);
  }
  expect(resolveListenOptions({}, broker)).toMatchObject({ host: '127.0.0.1', port: 9092 });
  expect(resolveListenOptions({ port: 0, advertise: 'kafka.local:19092' }, broker))
    .toMatchObject({ port: 0, advertisedHost: 'kafka.local', advertisedPort: 19092 });
  for (const bad of [{ port: 70_000 }, { host: '' }, { advertise: 'nohost' }, { tls: true }]) {
    expect(() => resolveListenOptions(bad, broker), JSON.stringify(bad))
      .toThrow(/INVALID_CONFIG|must be/);
  }
  expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  expect(parseHostPort('127.0.0.1:99999')).toBeUndefined();
});
