/**
 * The client side of SASL on a Kafka connection: SaslHandshake (v1) names the mechanism, then
 * SaslAuthenticate requests carry the mechanism's messages.
 * - PLAIN (RFC 4616): one message, `\0username\0password`.
 * - SCRAM-SHA-256 / -512 (RFC 5802, RFC 7677): client-first, server-first, client-final with
 *   the proof, server-final whose signature is checked, so a broker that does not know the
 *   password cannot pass for one that does.
 * Failures are AUTHENTICATION_FAILED (not retriable: the same credentials fail again).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { MambaError } from '../errors.js';
import {
  ApiKey, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '../protocol/index.js';
import type { SaslOptions } from './connect-options.js';
import { fromKafkaCode } from './kafka-error.js';

interface Connection {
  request<T>(apiKey: number, body: object): Promise<T>;
}

const kafkaNames = { 'plain': 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512' } as const;

export async function authenticate(connection: Connection, sasl: SaslOptions): Promise<void> {
  const mechanism = kafkaNames[sasl.mechanism];
  const handshake = await connection.request<SaslHandshakeResponse>(ApiKey.SASL_HANDSHAKE,
    { mechanism });
  if (handshake.errorCode !== 0) {
    throw fromKafkaCode(handshake.errorCode, `SASL ${mechanism} (broker offers ` +
      `${handshake.mechanisms.join(', ') || 'none'})`);
  }
  const exchange = async (message: string): Promise<string> => {
    const response = await connection.request<SaslAuthenticateResponse>(
      ApiKey.SASL_AUTHENTICATE, { authBytes: Buffer.from(message, 'utf8') });
    if (response.errorCode !== 0) {
      throw fromKafkaCode(response.errorCode, `SASL ${mechanism} as ${sasl.username}`,
        response.errorMessage);
    }
    return Buffer.from(response.authBytes).toString('utf8');
  };
  if (sasl.mechanism === 'plain') {
    await exchange(`\0${sasl.username}\0${sasl.password}`);
    return;
  }
  await scram(sasl, sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', exchange);
}

async function scram(sasl: SaslOptions, hash: 'sha256' | 'sha512',
  exchange: (message: string) => Promise<string>): Promise<void> {
  const clientNonce = randomBytes(24).toString('base64');
  const clientFirstBare = `n=${saslName(sasl.username)},r=${clientNonce}`;
  const serverFirst = await exchange(`n,,${clientFirstBare}`);
  const fields = parseScram(serverFirst);
  const nonce = fields.get('r');
  const salt = fields.get('s');
  const iterations = Number(fields.get('i'));
  if (nonce === undefined || !nonce.startsWith(clientNonce) || salt === undefined ||
    !Number.isInteger(iterations) || iterations < 1) {
    throw failed(`a malformed server-first message: ${serverFirst}`);
  }
  const keyBytes = hash === 'sha256' ? 32 : 64;
  const salted = pbkdf2Sync(sasl.password.normalize('NFKC'), Buffer.from(salt, 'base64'),
    iterations, keyBytes, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const finalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(keyBytes);
  for (let i = 0; i < keyBytes; i++) proof[i] = clientKey[i] ^ signature[i];
  const serverFinal = parseScram(await exchange(
    `${finalWithoutProof},p=${proof.toString('base64')}`));
  const error = serverFinal.get('e');
  if (error !== undefined) throw failed(`the broker refused: ${error}`);
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const expected = createHmac(hash, serverKey).update(authMessage).digest();
  const given = Buffer.from(serverFinal.get('v') ?? '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw failed("the broker's signature does not match: it does not know the password");
  }
}

/** RFC 5802 §5.1: ',' and '=' in a user name are escaped. */
function saslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

function parseScram(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at), part.slice(at + 1));
  }
  return fields;
}

function failed(reason: string): MambaError {
  return new MambaError('AUTHENTICATION_FAILED', `SASL SCRAM: ${reason}`);
}
