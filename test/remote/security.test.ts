/**
 * `Broker.connect()` with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS against the door's
 * secured listeners: each mechanism logs in over SASL_SSL and round-trips a record; a wrong
 * password, a mechanism the listener does not offer, an untrusted certificate and a principal
 * without the ACL are refused with their typed errors, at once (not retried).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Broker, MambaError, type ConnectOptions } from '../../src/index.js';
import { AclStore, CredentialStore } from '../../src/security/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';

let dir: string;
let certs: TestCertificates;
let broker: Broker;
let saslSsl: number;
let scramOnly: number;
let sslOnly: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-remote-sasl-'));
  certs = makeCertificates(fs.mkdtempSync(path.join(dir, 'certs-')));
  const dataDir = path.join(dir, 'data');
  const users = new CredentialStore(dataDir);
  await users.put('alice', 'alice-secret');
  await users.put('bob', 'bob-secret');
  new AclStore(dataDir).add([
    { principal: 'User:alice', host: '*', resourceType: 'topic', patternType: 'literal',
      resourceName: '*', operation: 'All', permission: 'allow' },
    { principal: 'User:alice', host: '*', resourceType: 'cluster', patternType: 'literal',
      resourceName: 'kafka-cluster', operation: 'All', permission: 'allow' },
  ]);
  broker = await Broker.open({ dataDir, actors: 1 });
  const tls = { key: certs.server.key, cert: certs.server.cert };
  const door = await broker.listen({ listeners: 'SASL_SSL://127.0.0.1:0', tls });
  saslSsl = door.address().port;
  const second = await broker.listen({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0', sasl: { mechanisms: ['SCRAM-SHA-512'] },
  });
  scramOnly = second.address().port;
  sslOnly = (await broker.listen({ listeners: 'SSL://127.0.0.1:0', tls })).address().port;
});

afterAll(async () => {
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function options(port: number, extra: Partial<ConnectOptions>): ConnectOptions {
  return { brokers: [`127.0.0.1:${port}`], retryTimeoutMs: 20_000, ...extra };
}

function trusted(): ConnectOptions['ssl'] {
  return { ca: [certs.caPem], servername: 'localhost' };
}

/** The typed refusal; not retriable, so the client gave up at once instead of retrying. */
async function refusal(connecting: Promise<unknown>): Promise<MambaError> {
  const error = await connecting.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MambaError);
  expect((error as MambaError).retriable).toBe(false);
  return error as MambaError;
}

for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
  it(`logs in with ${mechanism} over SASL_SSL and round-trips a record`, async () => {
    const remote = await Broker.connect(options(saslSsl, { ssl: trusted(),
      sasl: { mechanism, username: 'alice', password: 'alice-secret' } }));
    const topic = `secured-${mechanism}`;
    await remote.createTopic(topic, { partitions: 1 });
    const sent = await remote.producer().send(topic, { key: 'k', value: mechanism });
    expect(sent.offset).toBe(0);
    const consumer = remote.consumer({ fromBeginning: true });
    await consumer.subscribe(topic);
    for await (const message of consumer) {
      expect(message.value?.toString()).toBe(mechanism);
      break;
    }
    await remote.close();
  });
}

it('refuses a wrong password with AUTHENTICATION_FAILED', async () => {
  const error = await refusal(Broker.connect(options(saslSsl, { ssl: trusted(),
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' } })));
  expect(error.code).toBe('AUTHENTICATION_FAILED');
});

it('refuses a mechanism the listener does not offer', async () => {
  const error = await refusal(Broker.connect(options(scramOnly, {
    sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } })));
  expect(error.code).toBe('AUTHENTICATION_FAILED');
  expect(error.message).toMatch(/SCRAM-SHA-512/);
});

it('refuses a certificate it does not trust, and connects with the CA', async () => {
  const error = await refusal(Broker.connect(options(sslOnly, { ssl: true })));
  expect(error.code).toBe('CONNECTION_FAILED');
  const remote = await Broker.connect(options(sslOnly, { ssl: trusted() }));
  expect(await remote.listTopics()).toEqual(expect.any(Array));
  await remote.close();
});

it('maps an ACL refusal to AUTHORIZATION_FAILED', async () => {
  const remote = await Broker.connect(options(saslSsl, { ssl: trusted(),
    sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' } }));
  const error = await refusal(remote.createTopic('bobs-topic'));
  expect(error.code).toBe('AUTHORIZATION_FAILED');
  await remote.close();
});
