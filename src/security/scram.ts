/**
 * SCRAM (RFC 5802, with SHA-256 and SHA-512 as RFC 7677 and Kafka's KIP-84 use them): the
 * stored form of a password, and the server's side of one exchange.
 *
 * What is stored per user and mechanism is Kafka's: salt, iterations, StoredKey = H(ClientKey)
 * and ServerKey, where SaltedPassword = PBKDF2(password, salt, iterations), ClientKey =
 * HMAC(SaltedPassword, "Client Key"), ServerKey = HMAC(SaltedPassword, "Server Key"). Neither
 * key lets anyone log in: a client proof needs ClientKey, which is not kept.
 *
 * The exchange, as the server sees it:
 *
 * | step | client sends                         | server answers                      |
 * | ---- | ------------------------------------ | ----------------------------------- |
 * | 1    | `n,,n=user,r=cnonce`                 | `r=cnonce+snonce,s=salt,i=iter`     |
 * | 2    | `c=biws,r=cnonce+snonce,p=proof`     | `v=ServerSignature`                 |
 *
 * The proof is checked by recomputing ClientKey = proof XOR HMAC(StoredKey, AuthMessage) and
 * comparing H(ClientKey) with StoredKey in constant time.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's minimum (and kafka-configs' default) for SCRAM iterations. */
export const scramIterationsDefault = 4096;
export const scramIterationsMax = 65_536;
const saltBytes = 16;
const nonceBytes = 24;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function hashOf(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

function keyBytesOf(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64;
}

function hmac(hash: string, key: Buffer, text: string): Buffer {
  return createHmac(hash, key).update(text, 'utf8').digest();
}

/** SaltedPassword for a password, as PBKDF2 with the mechanism's hash. */
export async function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer,
  iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations,
    keyBytesOf(mechanism), hashOf(mechanism));
}

/** The stored form of `password` (a fresh random salt unless one is given). */
export async function scramCredential(mechanism: ScramMechanism, password: string,
  iterations = scramIterationsDefault,
  salt: Buffer = randomBytes(saltBytes)): Promise<ScramCredential> {
  const hash = hashOf(mechanism);
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  const clientKey = hmac(hash, salted, 'Client Key');
  return {
    salt, iterations,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

/** Whether `password` is the one `credential` was made from (SASL/PLAIN's check). */
export async function passwordMatches(mechanism: ScramMechanism, credential: ScramCredential,
  password: string): Promise<boolean> {
  const derived = await scramCredential(mechanism, password, credential.iterations,
    credential.salt);
  return timingSafeEqual(derived.storedKey, credential.storedKey);
}

/** A SCRAM attribute list (`a=1,b=2`) as a map; undefined when it does not parse. */
function attributes(text: string): Map<string, string> | undefined {
  const map = new Map<string, string>();
  for (const part of text.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (match === null) return undefined;
    map.set(match[1], match[2]);
  }
  return map;
}

/** `=2C` and `=3D` are how a SCRAM user name carries `,` and `=`. */
function decodeSaslName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirst {
  user: string;
  /** The GS2 header (`n,,` or `n,a=authzid,`), which the client echoes base64'd in step 2. */
  gs2Header: string;
  bare: string;
  clientNonce: string;
}

/** Parses the client's first message; undefined when malformed or asking for channel binding. */
export function parseClientFirst(message: string): ClientFirst | undefined {
  const match = /^(n|y),(a=[^,]*)?,(.*)$/s.exec(message);
  if (match === null) return undefined;
  const bare = match[3];
  const parsed = attributes(bare);
  const name = parsed?.get('n');
  const nonce = parsed?.get('r');
  if (name === undefined || nonce === undefined || nonce.length === 0) return undefined;
  const user = decodeSaslName(name);
  if (user === undefined || user.length === 0) return undefined;
  return { user, gs2Header: `${match[1]},${match[2] ?? ''},`, bare, clientNonce: nonce };
}

/**
 * The server's half of one SCRAM exchange for a known user: `first()` answers step 1,
 * `final()` checks step 2's proof and answers with the server signature, or returns undefined
 * when the proof (or anything else in the message) is wrong.
 */
export class ScramServerExchange {
  private readonly nonce: string;
  private serverFirst = '';

  /** `serverNonce` is random unless given (the RFC's test vectors fix it). */
  constructor(private readonly mechanism: ScramMechanism,
    private readonly credential: ScramCredential, private readonly client: ClientFirst,
    serverNonce = randomBytes(nonceBytes).toString('base64')) {
    this.nonce = client.clientNonce + serverNonce;
  }

  first(): string {
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},` +
      `i=${this.credential.iterations}`;
    return this.serverFirst;
  }

  final(message: string): string | undefined {
    const hash = hashOf(this.mechanism);
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) return undefined;
    const withoutProof = message.slice(0, proofAt);
    const parsed = attributes(withoutProof);
    if (parsed === undefined) return undefined;
    // librdkafka echoes its own nonce before the server's whole `r` (which already starts with
    // it): Kafka accepts a final nonce that ends with the server-first one, and so does Mamba,
    // for exactly that one extra prefix.
    const nonce = parsed.get('r');
    if (nonce !== this.nonce && nonce !== this.client.clientNonce + this.nonce) return undefined;
    const binding = Buffer.from(this.client.gs2Header, 'utf8').toString('base64');
    if (parsed.get('c') !== binding) return undefined;
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const { storedKey, serverKey } = this.credential;
    if (proof.length !== storedKey.length) return undefined;
    const authMessage = `${this.client.bare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(hash, storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    const computed = createHash(hash).update(clientKey).digest();
    if (!timingSafeEqual(computed, storedKey)) return undefined;
    return `v=${hmac(hash, serverKey, authMessage).toString('base64')}`;
  }
}
