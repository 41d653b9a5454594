/**
 * One connection's SASL exchange on a SASL listener (KIP-43, KIP-152): SaslHandshake picks a
 * mechanism, then SaslAuthenticate requests carry its tokens — or, after a v0 handshake, the
 * tokens travel raw, each framed by a length only, as old clients send them.
 *
 * | state         | event                               | next          | answer            |
 * | ------------- | ----------------------------------- | ------------- | ----------------- |
 * | handshake     | handshake, mechanism enabled        | authenticate  | 0                 |
 * | handshake     | handshake, mechanism not enabled    | failed        | 33, then close    |
 * | authenticate  | PLAIN token, password right         | done          | empty token       |
 * | authenticate  | SCRAM client-first, user known      | scram-final   | server-first      |
 * | scram-final   | SCRAM client-final, proof right     | done          | server-final      |
 * | any other     | anything, or a wrong password/user  | failed        | 58 (after a delay |
 * |               |                                     |               | growing per       |
 * |               |                                     |               | failure), close   |
 *
 * A failure is answered only after the delay AuthFailures gives the address, and the
 * connection closes after the answer. Before `done`, the connection lets through only
 * ApiVersions and the two SASL requests (connection.ts).
 */
import { kafkaErrorCode } from '../protocol/index.js';
import type { SaslMechanismName } from '../listen-options.js';
import {
  ScramServerExchange, parseClientFirst, type CredentialStore, type ScramMechanism,
} from '../security/index.js';
import type { AuthFailures } from './auth-failures.js';

export interface SaslOutcome {
  errorCode: number;
  errorMessage: string | null;
  token: Uint8Array;
}

type State = 'handshake' | 'authenticate' | 'scram-final' | 'done' | 'failed';

const empty = new Uint8Array(0);

export class SaslSession {
  private state: State = 'handshake';
  private mechanism: SaslMechanismName | undefined;
  private exchange: ScramServerExchange | undefined;
  private pendingUser: string | undefined;
  /** After a v0 handshake the tokens travel raw, framed by their length only. */
  rawTokens = false;
  /** The authenticated user, once `done`. */
  user: string | undefined;

  constructor(private readonly mechanisms: readonly SaslMechanismName[],
    private readonly credentials: CredentialStore, private readonly failures: AuthFailures,
    private readonly clientHost: string) {}

  get authenticated(): boolean {
    return this.state === 'done';
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  get enabledMechanisms(): readonly string[] {
    return this.mechanisms;
  }

  /** SaslHandshake: the Kafka error code of its answer. */
  handshake(mechanism: string, version: number): number {
    if (this.state !== 'handshake') {
      this.state = this.state === 'done' ? 'done' : 'failed';
      return kafkaErrorCode('ILLEGAL_SASL_STATE');
    }
    if (!this.mechanisms.includes(mechanism as SaslMechanismName)) {
      this.state = 'failed';
      return kafkaErrorCode('UNSUPPORTED_SASL_MECHANISM');
    }
    this.mechanism = mechanism as SaslMechanismName;
    this.state = 'authenticate';
    this.rawTokens = version === 0;
    return 0;
  }

  /** One SaslAuthenticate token (or raw token); the answer, after the failure delay if any. */
  async authenticate(token: Uint8Array): Promise<SaslOutcome> {
    const text = Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('utf8');
    if (this.state === 'authenticate' && this.mechanism === 'PLAIN') return this.plain(text);
    if (this.state === 'authenticate') return this.scramFirst(text);
    if (this.state === 'scram-final') return this.scramFinal(text);
    this.state = 'failed';
    return { errorCode: kafkaErrorCode('ILLEGAL_SASL_STATE'), errorMessage:
      'SaslAuthenticate before SaslHandshake', token: empty };
  }

  private async plain(text: string): Promise<SaslOutcome> {
    const parts = text.split('\0');
    if (parts.length !== 3 || parts[1].length === 0) return this.fail('malformed PLAIN token');
    const [authzid, user, password] = parts;
    if (authzid.length > 0 && authzid !== user) {
      return this.fail('an authorization id other than the user is not supported');
    }
    if (!(await this.credentials.verifyPassword(user, password))) {
      return this.fail(`authentication failed for user ${JSON.stringify(user)}`);
    }
    return this.succeed(user, empty);
  }

  private scramFirst(text: string): Promise<SaslOutcome> {
    const client = parseClientFirst(text);
    if (client === undefined) return this.fail('malformed SCRAM client-first message');
    const mechanism = this.mechanism as ScramMechanism;
    const credential = this.credentials.credential(client.user, mechanism);
    if (credential === undefined) {
      return this.fail(`authentication failed for user ${JSON.stringify(client.user)}`);
    }
    this.exchange = new ScramServerExchange(mechanism, credential, client);
    this.pendingUser = client.user;
    this.state = 'scram-final';
    return Promise.resolve({
      errorCode: 0, errorMessage: null, token: Buffer.from(this.exchange.first(), 'utf8'),
    });
  }

  private scramFinal(text: string): Promise<SaslOutcome> {
    const serverFinal = this.exchange!.final(text);
    if (serverFinal === undefined) {
      return this.fail(`authentication failed for user ${JSON.stringify(this.pendingUser)}`);
    }
    return Promise.resolve(this.succeed(this.pendingUser!, Buffer.from(serverFinal, 'utf8')));
  }

  private succeed(user: string, token: Uint8Array): SaslOutcome {
    this.state = 'done';
    this.user = user;
    this.failures.succeed(this.clientHost);
    return { errorCode: 0, errorMessage: null, token };
  }

  private async fail(message: string): Promise<SaslOutcome> {
    this.state = 'failed';
    const delayMs = this.failures.fail(this.clientHost);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return {
      errorCode: kafkaErrorCode('SASL_AUTHENTICATION_FAILED'), errorMessage: message,
      token: empty,
    };
  }
}
