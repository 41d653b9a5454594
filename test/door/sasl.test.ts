/**
 * SASL on the Kafka door (issue 12 §3): PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 with kafkajs over
 * SASL_SSL and SASL_PLAINTEXT; what is refused (wrong password, unknown user, a mechanism not
 * enabled, requests before the login), the v0 handshake with raw tokens, and the growing
 * delay before a failed login is answered.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/index.js';
import { AclStore, CredentialStore } from '../../src/security/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';
import { WireClient } from './wire-client.js';

let dir: string;
let certs: TestCertificates;
let broker: Broker;
let saslSsl: number;
let saslPlain: number;
/** A door whose SASL listener offers SCRAM-SHA-512 only. */
let scramOnly: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-sasl-'));
  certs = makeCertificates(fs.mkdtempSync(path.join(dir, 'certs-')));
  const dataDir = path.join(dir, 'data');
  const users = new CredentialStore(dataDir);
  await users.put('alice', 'alice-secret');
  await users.put('bob', 'bob-secret');
  new AclStore(dataDir).add([
    { principal: 'User:alice', host: '*', resourceType: 'topic', patternType: 'literal',
      resourceName: '*', operation: 'All', permission: 'allow' },
    { principal: 'User:alice', host: '*', resourceType: 'cluster', patternType: 'literal',
      resourceName: 'kafka-cluster', operation: 'Create', permission: 'allow' },
  ]);
  broker = await Broker.open({ dataDir, actors: 1, autoCreateTopics: true });
  const door = await broker.listen({
    listeners: 'SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    tls: { key: certs.server.key, cert: certs.server.cert },
  });
  const ports = Object.fromEntries(door.addresses().map((a) => [a.protocol, a.port]));
  saslSsl = ports.SASL_SSL;
  saslPlain = ports.SASL_PLAINTEXT;
  const second = await broker.listen({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0', sasl: { mechanisms: ['SCRAM-SHA-512'] },
  });
  scramOnly = second.address().port;
});

afterAll(async () => {
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function client(port: number, sasl: SASLOptions, ssl: boolean): Kafka {
  return new Kafka({
    clientId: 'sasl-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
    ssl: ssl ? { ca: [certs.caPem], servername: 'localhost' } : false, sasl,
    retry: { retries: 0 }, connectionTimeout: 10_000,
  });
}

async function produceAndCount(kafka: Kafka, topic: string): Promise<string> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: 'one' }, { value: 'two' }] });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.map((o) => o.high).reduce((a, b) => String(Number(a) + Number(b)), '0');
}

describe('SASL logins that succeed', () => {
  for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
    it(`kafkajs over SASL_SSL with ${mechanism} produces and reads offsets`, async () => {
      const kafka = client(saslSsl, { mechanism, username: 'alice', password: 'alice-secret' } as
        SASLOptions, true);
      expect(await produceAndCount(kafka, `ssl-${mechanism}`)).toBe('2');
    });
  }

  it('kafkajs over SASL_PLAINTEXT with scram-sha-256', async () => {
    const kafka = client(saslPlain, {
      mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret',
    }, false);
    expect(await produceAndCount(kafka, 'plaintext-scram')).toBe('2');
  });
});

async function connectFails(kafka: Kafka): Promise<Error> {
  const admin = kafka.admin();
  const error = await admin.connect().then(() => undefined, (e: Error) => e);
  await admin.disconnect();
  if (error === undefined) throw new Error('the login succeeded');
  return error;
}

describe('SASL logins that fail', () => {
  it('refuses a wrong password with SASL_AUTHENTICATION_FAILED', async () => {
    for (const mechanism of ['scram-sha-512', 'plain'] as const) {
      const error = await connectFails(client(saslSsl, {
        mechanism, username: 'alice', password: 'wrong',
      } as SASLOptions, true));
      expect(error.name, mechanism).toBe('KafkaJSSASLAuthenticationError');
      expect(error.message, mechanism).toMatch(/SASL_AUTHENTICATION_FAILED|authentication/i);
    }
  });

  it('refuses an unknown user', async () => {
    const error = await connectFails(client(saslPlain, {
      mechanism: 'scram-sha-256', username: 'mallory', password: 'alice-secret',
    }, false));
    expect(error.name).toBe('KafkaJSSASLAuthenticationError');
  });

  it('refuses a mechanism the listener does not offer', async () => {
    const error = await connectFails(client(scramOnly, {
      mechanism: 'plain', username: 'alice', password: 'alice-secret',
    }, false));
    expect(error.message).toMatch(/does not support the requested SASL mechanism/);
    // The same user gets in with the mechanism that is offered.
    const kafka = client(scramOnly, {
      mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret',
    }, false);
    expect(await produceAndCount(kafka, 'scram-only')).toBe('2');
  });

  it('answers only ApiVersions and SASL before the login; anything else closes', async () => {
    const wire = await WireClient.connect(saslPlain);
    const versions = await wire.call<{ errorCode: number; apiKeys: Array<{ apiKey: number }> }>(
      ApiKey.API_VERSIONS, 2, {});
    expect(versions.errorCode).toBe(0);
    expect(versions.apiKeys.map((k) => k.apiKey))
      .toEqual(expect.arrayContaining([ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE]));
    let answered = false;
    void wire.call(ApiKey.METADATA, 1, { topics: null }).then(() => { answered = true; },
      () => undefined);
    await wire.closed;
    expect(answered).toBe(false);
  });

  it('answers a failed SaslAuthenticate with error 58, then closes', async () => {
    const wire = await WireClient.connect(saslPlain);
    const handshake = await wire.call<{ errorCode: number; mechanisms: string[] }>(
      ApiKey.SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
    expect(handshake).toEqual({ errorCode: 0,
      mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    const answer = await wire.call<{ errorCode: number; errorMessage: string }>(
      ApiKey.SASL_AUTHENTICATE, 1, { authBytes: Buffer.from('\0bob\0alice-secret') });
    expect(answer.errorCode).toBe(58);
    await wire.closed;
  });
});

describe('the v0 handshake: raw tokens', () => {
  function rawFrame(token: string): Buffer {
    const bytes = Buffer.from(token);
    const size = Buffer.alloc(4);
    size.writeInt32BE(bytes.length);
    return Buffer.concat([size, bytes]);
  }

  it('logs in with a raw PLAIN token, then serves Metadata', async () => {
    const wire = await WireClient.connect(saslPlain);
    const handshake = await wire.call<{ errorCode: number }>(ApiKey.SASL_HANDSHAKE, 0,
      { mechanism: 'PLAIN' });
    expect(handshake.errorCode).toBe(0);
    const rawAnswer = new Promise<Buffer>((resolve) => wire.socket.once('data', resolve));
    wire.sendRaw(rawFrame('\0alice\0alice-secret'));
    expect([...await rawAnswer]).toEqual([0, 0, 0, 0]);
    const metadata = await wire.call<{ brokers: unknown[] }>(ApiKey.METADATA, 1,
      { topics: null });
    expect(metadata.brokers).toHaveLength(1);
    wire.close();
  });

  it('closes without an answer after a wrong raw token', async () => {
    const wire = await WireClient.connect(saslPlain);
    await wire.call(ApiKey.SASL_HANDSHAKE, 0, { mechanism: 'PLAIN' });
    let received = 0;
    wire.socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    wire.sendRaw(rawFrame('\0alice\0nope'));
    await wire.closed;
    expect(received).toBe(0);
  });
});

describe('repeated failures', () => {
  it('answer each failure from one address later than the one before', async () => {
    // A success first, so earlier tests' failures do not count.
    await produceAndCount(client(saslPlain, {
      mechanism: 'plain', username: 'alice', password: 'alice-secret',
    }, false), 'reset');
    const elapsedMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const wire = await WireClient.connect(saslPlain);
      await wire.call(ApiKey.SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
      const started = performance.now();
      await wire.call(ApiKey.SASL_AUTHENTICATE, 1, { authBytes: Buffer.from('\0alice\0x') });
      elapsedMs.push(performance.now() - started);
      await wire.closed;
    }
    // The delays are 100, 200 and 400 ms (authFailureDelayMsMin doubling): lower bounds only.
    expect(elapsedMs[0]).toBeGreaterThanOrEqual(95);
    expect(elapsedMs[1]).toBeGreaterThanOrEqual(195);
    expect(elapsedMs[2]).toBeGreaterThanOrEqual(395);
  });
});

