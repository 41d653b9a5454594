/**
 * TLS on the Kafka door (issue 12 §3): an SSL listener with a client CA requires a client
 * certificate that CA signed and that is valid now, and takes the principal from its subject
 * (`User:CN=alice`); an expired certificate, one from another CA, no certificate, and a client
 * that does not speak TLS are all refused before any Kafka request is answered. The positive
 * control in each probe is the same request answered for a good certificate.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey, apiSchemas, encodeRequest } from '../../src/protocol/index.js';
import { AclStore, CredentialStore } from '../../src/security/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';

let dir: string;
let certs: TestCertificates;
let broker: Broker;
let sslPort: number;
let saslSslPort: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-tls-'));
  certs = makeCertificates(fs.mkdtempSync(path.join(dir, 'certs-')));
  const dataDir = path.join(dir, 'data');
  await new CredentialStore(dataDir).put('alice', 'alice-secret');
  new AclStore(dataDir).add(['User:CN=alice', 'User:alice'].flatMap((principal) => [
    { principal, host: '*', resourceType: 'topic', patternType: 'literal', resourceName: '*',
      operation: 'All', permission: 'allow' },
    { principal, host: '*', resourceType: 'cluster', patternType: 'literal',
      resourceName: 'kafka-cluster', operation: 'Create', permission: 'allow' },
  ] as const));
  broker = await Broker.open({ dataDir, actors: 1, autoCreateTopics: true });
  const door = await broker.listen({
    listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    tls: { key: certs.server.key, cert: certs.server.cert, ca: certs.caPem },
  });
  const ports = Object.fromEntries(door.addresses().map((a) => [a.protocol, a.port]));
  sslPort = ports.SSL;
  saslSslPort = ports.SASL_SSL;
});

afterAll(async () => {
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function apiVersionsFrame(): Buffer {
  return Buffer.concat(encodeRequest(apiSchemas(ApiKey.API_VERSIONS)!, 0, 7, 'probe', {}));
}

/**
 * Connects with `options`, sends ApiVersions once the handshake is done (from the client's
 * side), and resolves when the connection ends or answers: whether a Kafka answer came.
 */
function probe(options: tls.ConnectionOptions): Promise<{ answered: boolean; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', servername: 'localhost', ...options });
    let received = Buffer.alloc(0);
    let error: string | undefined;
    socket.on('secureConnect', () => socket.write(apiVersionsFrame()));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // The answer: size, then correlation id 7.
      if (received.length >= 8 && received.readInt32BE(4) === 7) {
        socket.destroy();
        resolve({ answered: true });
      }
    });
    socket.on('error', (e) => { error = e.message; });
    socket.on('close', () => resolve({ answered: false, error }));
  });
}

describe('mTLS on an SSL listener', () => {
  it('answers a client with a certificate the CA signed', async () => {
    expect(await probe({ port: sslPort, ca: certs.caPem, key: certs.alice.key,
      cert: certs.alice.cert })).toEqual({ answered: true });
  });

  it('refuses an expired certificate, one from another CA, and none', async () => {
    for (const [name, pair] of [['expired', certs.expired], ['untrusted', certs.untrusted],
      ['none', undefined]] as const) {
      const result = await probe({ port: sslPort, ca: certs.caPem, ...pair });
      expect(result.answered, name).toBe(false);
    }
  });

  it('takes the principal from the certificate: kafkajs produces as User:CN=alice', async () => {
    const kafka = new Kafka({
      clientId: 'tls-test', brokers: [`127.0.0.1:${sslPort}`], logLevel: logLevel.NOTHING,
      ssl: { ca: [certs.caPem], key: certs.alice.key, cert: certs.alice.cert,
        servername: 'localhost' },
      retry: { retries: 0 },
    });
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: 'by-certificate', messages: [{ value: 'v' }] });
    expect(sent.errorCode).toBe(0);
    await producer.disconnect();
    // Only User:CN=alice and User:alice (SASL) are granted; an SSL listener has no SASL, and
    // User:ANONYMOUS would have been refused TOPIC_AUTHORIZATION_FAILED.
  });
});

describe('what is not TLS, or not trusted', () => {
  it('drops a plaintext client on a TLS port without a Kafka answer', async () => {
    for (const port of [sslPort, saslSslPort]) {
      const socket = net.connect({ host: '127.0.0.1', port });
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]); });
      socket.on('error', () => undefined);
      socket.write(apiVersionsFrame());
      await new Promise((resolve) => socket.once('close', resolve));
      // At most a TLS alert record (content type 21), never a Kafka frame.
      expect(received.length === 0 || received[0] === 21, received.toString('hex')).toBe(true);
    }
  });

  it('a client that does not trust the server certificate fails its handshake', async () => {
    const result = await probe({ port: saslSslPort });
    expect(result.answered).toBe(false);
    expect(result.error).toMatch(/self[- ]signed|unable to (get|verify)/i);
    // With the CA, the same listener answers ApiVersions before any login.
    expect(await probe({ port: saslSslPort, ca: certs.caPem })).toEqual({ answered: true });
  });

  it('kafkajs with an expired client certificate cannot connect', async () => {
    const kafka = new Kafka({
      clientId: 'tls-test', brokers: [`127.0.0.1:${sslPort}`], logLevel: logLevel.NOTHING,
      ssl: { ca: [certs.caPem], key: certs.expired.key, cert: certs.expired.cert,
        servername: 'localhost' },
      retry: { retries: 0 }, connectionTimeout: 5_000,
    });
    const admin = kafka.admin();
    const error = await admin.connect().then(() => undefined, (e: Error) => e);
    await admin.disconnect();
    expect(error).toBeInstanceOf(Error);
  });
});
