/**
 * The authorization rule as a table (security/acl.ts): super users, deny wins, implied
 * Describe, literal, wildcard and prefixed names, principal and host wildcards; and the
 * stores: files written atomically, re-read when another process changed them, refused when
 * they do not parse; the failed-login memory's growing delay and bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import {
  AclStore, CredentialStore, type AclEntry, type AclOperation,
} from '../../src/security/index.js';
import { AuthFailures } from '../../src/door/auth-failures.js';
import { authFailureDelayMsMax, authFailureMemoryMs } from '../../src/constants.js';
import { tempDir } from '../helpers/temp-dir.js';

function entry(principal: string, operation: AclOperation, name: string,
  extra: Partial<AclEntry> = {}): AclEntry {
  return {
    principal, host: '*', resourceType: 'topic', patternType: 'literal', resourceName: name,
    operation, permission: 'allow', ...extra,
  };
}

it('decides by the table: super user, deny wins, implied Describe, patterns', () => {
  const store = new AclStore(tempDir(), ['User:root']);
  store.add([
    entry('User:a', 'Read', 'orders'),
    entry('User:a', 'Write', 'pay', { patternType: 'prefixed' }),
    entry('User:a', 'All', 'payroll', { permission: 'deny' }),
    entry('User:*', 'Describe', '*'),
    entry('User:b', 'Read', 'logs', { host: '10.0.0.1' }),
    entry('User:b', 'Describe', '*', { permission: 'deny', resourceType: 'group',
      resourceName: '*' }),
  ]);
  const may = (principal: string, op: AclOperation, name: string, host = '127.0.0.1',
    type: 'topic' | 'group' = 'topic') => store.authorize(principal, host, op, { type, name });
  const cases: Array<[boolean, ...Parameters<typeof may>]> = [
    [true, 'User:a', 'Read', 'orders'],
    [false, 'User:a', 'Write', 'orders'],
    [true, 'User:a', 'Write', 'payments'], // prefixed
    [false, 'User:a', 'Write', 'payroll'], // deny All wins over the prefixed allow
    [false, 'User:a', 'Describe', 'payroll'], // deny All covers Describe too
    [true, 'User:a', 'Describe', 'anything'], // User:* and the literal *
    [true, 'User:c', 'Describe', 'orders'],
    [false, 'User:c', 'Read', 'orders'],
    [true, 'User:b', 'Read', 'logs', '10.0.0.1'],
    [false, 'User:b', 'Read', 'logs', '10.0.0.2'], // host
    [false, 'User:b', 'Describe', 'g', '127.0.0.1', 'group'],
    [true, 'User:root', 'Delete', 'payroll'], // super user
    [false, 'User:a', 'Read', 'orders', '127.0.0.1', 'group'], // type
  ];
  for (const [expected, ...args] of cases) {
    expect(may(...args), JSON.stringify(args)).toBe(expected);
  }
  // Read implies Describe; Describe does not imply Read.
  const reader = new AclStore(tempDir());
  reader.add([entry('User:r', 'Read', 't')]);
  expect(reader.authorize('User:r', '', 'Describe', { type: 'topic', name: 't' })).toBe(true);
  expect(reader.authorizeAny('User:r', '', 'Write', 'topic')).toBe(false);
  expect(reader.authorizeAny('User:r', '', 'Read', 'topic')).toBe(true);
});

it('keeps ACLs and users in atomic files, re-read when another process wrote them', async () => {
  const dataDir = tempDir();
  const door = new AclStore(dataDir);
  expect(door.authorize('User:a', '', 'Read', { type: 'topic', name: 't' })).toBe(false);
  expect(new AclStore(dataDir).add([entry('User:a', 'Read', 't'), entry('User:a', 'Read', 't')]))
    .toBe(1);
  door.refresh(); // what the door does at most once a second
  expect(door.authorize('User:a', '', 'Read', { type: 'topic', name: 't' })).toBe(true);
  expect(fs.readdirSync(path.join(dataDir, 'security'))).toEqual(['acls.json']);
  expect(new AclStore(dataDir).remove([{ principal: 'User:a' }])[0]).toHaveLength(1);
  door.refresh();
  expect(door.list()).toEqual([]);

  const users = new CredentialStore(dataDir);
  await new CredentialStore(dataDir).put('alice', 'pw');
  expect(await users.verifyPassword('alice', 'pw')).toBe(true);
  expect(await users.verifyPassword('alice', 'px')).toBe(false);
  expect(await users.verifyPassword('nobody', 'pw')).toBe(false);
  expect(users.credential('alice', 'SCRAM-SHA-256')?.iterations).toBe(4096);
  await expect(users.put('', 'pw')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  await expect(users.put('bob', '')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  await expect(users.put('bob', 'pw', 10)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  expect(() => new AclStore(dataDir).add([entry('alice', 'Read', 't')]))
    .toThrow(/principal/);
  expect(() => new AclStore(dataDir).add([entry('User:a', 'Read', 'x',
    { resourceType: 'cluster' })])).toThrow(/kafka-cluster/);
});

it('refuses a security file that does not parse, with its path', () => {
  const dataDir = tempDir();
  fs.mkdirSync(path.join(dataDir, 'security'));
  fs.writeFileSync(path.join(dataDir, 'security', 'acls.json'), '{"version":1,"acls":[{}]}');
  fs.writeFileSync(path.join(dataDir, 'security', 'users.json'), 'not json');
  expect(() => new AclStore(dataDir).list()).toThrow(
    expect.objectContaining({ code: 'INVALID_SECURITY_FILE' }));
  expect(() => new CredentialStore(dataDir).list()).toThrow(/users\.json/);
});

it('delays each failed login from one address twice as long, bounded in time and memory', () => {
  const failures = new AuthFailures(3);
  const delays = Array.from({ length: 8 }, (_, i) => failures.fail('a', 1000 + i));
  expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, authFailureDelayMsMax,
    authFailureDelayMsMax]);
  expect(failures.fail('b', 2000)).toBe(100);
  failures.succeed('b');
  expect(failures.fail('b', 2001)).toBe(100);
  // Quiet long enough: the address starts over.
  expect(failures.fail('a', 2000 + authFailureMemoryMs + 1)).toBe(100);
  for (const address of ['c', 'd', 'e', 'f']) failures.fail(address, 3000);
  expect(failures.size).toBe(3);
});
