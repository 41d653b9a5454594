/**
 * The door's listeners, in its worker thread: one server per listener (plain TCP, or TLS for
 * SSL and SASL_SSL), each connection given its scope (protocol, principal, SASL state), and
 * all of them closed on `close()` after in-flight requests finish.
 *
 * TLS: an SSL listener with a client CA requires a client certificate that CA signed and that
 * is valid now (node:tls refuses the handshake otherwise); the certificate's subject is then
 * the principal, as Kafka writes it (`User:CN=alice,O=example`). A client that does not speak
 * TLS on a TLS port fails the handshake and is dropped before any Kafka request is read.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ANONYMOUS } from '../security/index.js';
import { Connection } from './connection.js';
import type { ConnectionScope, DoorContext } from './door-context.js';
import type { BoundListener, ListenerConfig } from './door-protocol.js';
import { SaslSession } from './sasl-session.js';

const tlsHandshakeTimeoutMs = 10_000;

export class DoorServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();

  constructor(private readonly context: DoorContext) {}

  /** Binds every listener; if one fails, closes those bound and throws. */
  async listen(): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    try {
      for (const listener of this.context.config.listeners) {
        bound.push(await this.listenOne(listener));
      }
    } catch (error) {
      await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
      throw error;
    }
    return bound;
  }

  private listenOne(listener: ListenerConfig): Promise<BoundListener> {
    const server = this.createServer(listener);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listener.host, port: listener.port, exclusive: true }, () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        this.context.bound(listener, address.address, address.port);
        resolve({ protocol: listener.protocol, host: address.address, port: address.port });
      });
    });
  }

  private createServer(listener: ListenerConfig): net.Server {
    const accept = (socket: net.Socket) => this.accept(listener, socket);
    if (listener.protocol === 'PLAINTEXT' || listener.protocol === 'SASL_PLAINTEXT') {
      return net.createServer(accept);
    }
    const config = this.context.config.tls!;
    const mutual = listener.protocol === 'SSL' && config.ca !== undefined;
    const server = tls.createServer({
      key: config.key, cert: config.cert, ca: config.ca, requestCert: mutual,
      rejectUnauthorized: mutual, handshakeTimeout: tlsHandshakeTimeoutMs,
    }, accept);
    // A failed handshake (plaintext client, untrusted or expired certificate) destroys the
    // socket; nothing else is to be done, and the listener goes on.
    server.on('tlsClientError', () => undefined);
    return server;
  }

  private accept(listener: ListenerConfig, socket: net.Socket): void {
    const sasl = listener.protocol === 'SASL_PLAINTEXT' || listener.protocol === 'SASL_SSL';
    const clientHost = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const scope: ConnectionScope = {
      protocol: listener.protocol, advertised: this.context.advertisedFor(listener.protocol),
      principal: listener.protocol === 'SSL' ? certificatePrincipal(socket) : ANONYMOUS,
      clientHost, authenticated: !sasl,
      sasl: sasl ? new SaslSession(this.context.config.saslMechanisms, this.context.credentials,
        this.context.authFailures, clientHost) : undefined,
    };
    const connection = new Connection(socket, this.context.forConnection(scope),
      (c) => this.connections.delete(c));
    this.connections.add(connection);
  }

  async close(graceMs: number): Promise<void> {
    const stopped = Promise.all(this.servers.map((server) =>
      new Promise<void>((resolve) => server.close(() => resolve()))));
    this.context.close();
    await Promise.all([...this.connections].map((c) => c.drain(graceMs)));
    await stopped;
  }
}

/**
 * `User:` and the client certificate's subject in RFC 2253 order (most specific first, as
 * Kafka's default principal builder writes it); ANONYMOUS without a certificate.
 */
function certificatePrincipal(socket: net.Socket): string {
  const certificate = (socket as tls.TLSSocket).getPeerCertificate?.();
  const subject = certificate?.subject as Record<string, string | string[]> | undefined;
  if (subject === undefined || Object.keys(subject).length === 0) return ANONYMOUS;
  const parts = Object.entries(subject).reverse()
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`);
  return `User:${parts.join(',')}`;
}
