/**
 * One client connection of the door: splits the byte stream into frames, hands each request
 * to its API handler, and writes the responses strictly in request order (clients pipeline).
 *
 * Limits, so that a bad or slow client costs a bounded amount of memory and nothing else:
 * - a frame larger than `maxRequestBytes` (or too short for a header) closes the connection
 *   before its body is buffered;
 * - at most `inFlightRequestsMax` requests, holding at most `maxRequestBytes` of request
 *   bytes, are handled at once; past that the socket is paused (TCP pushes back on the client);
 * - a client that stops reading: once `writeBacklogBytesMax` of responses wait in the socket,
 *   reading pauses until they drain;
 * - a frame that does not decode (unknown API key, garbage, wrong lengths) closes the
 *   connection, as Kafka brokers do; an unsupported ApiVersions version gets Kafka's
 *   UNSUPPORTED_VERSION answer in the v0 layout so the client can retry lower.
 *
 * On a SASL listener, until the client has logged in (sasl-session.ts) only ApiVersions,
 * SaslHandshake and SaslAuthenticate are served and frames may hold at most
 * `saslTokenBytesMax`; any other request closes the connection, as Kafka does. After a v0
 * handshake the next frames are raw SASL tokens, answered by raw tokens. A failed login is
 * answered, then the connection is closed.
 *
 * A connection with no request in flight that sends nothing for `connectionsMaxIdleMs` is closed
 * (Kafka's `connections.max.idle.ms`), logged in or not.
 */
import type { Socket } from 'node:net';
import { MambaError } from '../errors.js';
import { saslTokenBytesMax } from '../constants.js';
import {
  ApiKey, apiSchemas, decodeRequest, encodeResponse, kafkaCodeOf, kafkaErrorCode,
  peekRequestHeader,
  type DecodedRequest,
} from '../protocol/index.js';
import { apiVersionsBody, handlerFor } from './apis/index.js';
import type { DoorContext } from './door-context.js';

/** What a client may ask before it has logged in on a SASL listener. */
const beforeLogin = new Set<number>([
  ApiKey.API_VERSIONS, ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE,
]);

/** A request frame holds at least api key, version, correlation id and a client id length. */
const frameBytesMin = 10;
const inFlightRequestsMax = 64;
const writeBacklogBytesMax = 16 * 1024 * 1024;

interface Slot {
  chunks: Uint8Array[] | null | undefined;
  sizeBytes: number;
  /** A failed login: the connection ends once this answer is written. */
  closeAfter: boolean;
}

export class Connection {
  private readonly incoming: Buffer[] = [];
  private incomingBytes = 0;
  private readonly slots: Slot[] = [];
  private inFlightBytes = 0;
  private isClosed = false;
  private draining = false;
  private onIdle: (() => void) | undefined;
  private ending = false;

  constructor(private readonly socket: Socket, private readonly context: DoorContext,
    private readonly onClose: (connection: Connection) => void) {
    socket.setNoDelay(true);
    context.controlBlock.metrics.addDoorConnections(1);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    // Fires after that long without a byte read or written (and again after the next quiet
    // period: `on`, not setTimeout's one-time callback); a request still being answered (a
    // long-polling Fetch, a join parked for its rebalance) keeps the connection.
    socket.setTimeout(context.config.connectionsMaxIdleMs);
    socket.on('timeout', () => {
      if (this.slots.length === 0) this.destroy();
    });
  }

  /** Stops reading requests; resolves once those in flight are answered (or after `graceMs`). */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    this.socket.pause();
    if (this.slots.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // end() flushes what is written, then closes; destroy() at once could drop answers.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.destroy();
  }

  /** Closes once what is written has gone out (a failed login's answer). */
  private end(): void {
    this.ending = true;
    this.socket.pause();
    this.socket.end(() => this.destroy());
  }

  destroy(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.context.controlBlock.metrics.addDoorConnections(-1);
    this.socket.destroy();
    this.incoming.length = 0;
    this.slots.length = 0;
    this.onClose(this);
    this.onIdle?.();
  }

  private receive(chunk: Buffer): void {
    // Bytes after a failed login's answer are not kept: the connection is ending.
    if (this.isClosed || this.draining || this.ending) return;
    this.incoming.push(chunk);
    this.incomingBytes += chunk.length;
    this.pump();
  }

  /** Takes every complete frame it may, then pauses or resumes the socket. */
  private pump(): void {
    while (!this.isClosed && !this.draining && !this.ending && this.mayStartRequest()) {
      if (this.incomingBytes < 4) break;
      const size = this.peekSize();
      const raw = this.context.scope?.sasl?.rawTokens === true && !this.authenticated;
      const sizeMax = this.authenticated ? this.context.config.maxRequestBytes : saslTokenBytesMax;
      if (size < (raw ? 0 : frameBytesMin) || size > sizeMax) {
        this.destroy();
        return;
      }
      if (this.incomingBytes < 4 + size) break;
      const frame = this.take(4 + size).subarray(4);
      this.start(frame, raw);
    }
    if (this.isClosed || this.draining) return;
    if (this.mayStartRequest() && this.socket.writableLength < writeBacklogBytesMax) {
      this.socket.resume();
    } else {
      this.socket.pause();
    }
  }

  private mayStartRequest(): boolean {
    return this.slots.length < inFlightRequestsMax &&
      this.inFlightBytes < this.context.config.maxRequestBytes &&
      this.socket.writableLength < writeBacklogBytesMax;
  }

  /** The next frame's size. A first chunk too short for it is merged with the rest once, so
   * that a large frame arriving behind a tiny chunk is not re-concatenated on every read. */
  private peekSize(): number {
    if (this.incoming[0].length < 4) {
      const merged = Buffer.concat(this.incoming);
      this.incoming.length = 0;
      this.incoming.push(merged);
    }
    return this.incoming[0].readInt32BE(0);
  }

  /** Removes `count` bytes from the front of the incoming chunks (zero-copy when in one). */
  private take(count: number): Buffer {
    const first = this.incoming[0];
    let out: Buffer;
    if (first.length >= count) {
      out = first.subarray(0, count);
      if (first.length === count) this.incoming.shift();
      else this.incoming[0] = first.subarray(count);
    } else {
      const all = Buffer.concat(this.incoming);
      out = all.subarray(0, count);
      this.incoming.length = 0;
      if (all.length > count) this.incoming.push(all.subarray(count));
    }
    this.incomingBytes -= count;
    return out;
  }

  private get authenticated(): boolean {
    return this.context.scope?.authenticated !== false;
  }

  private start(frame: Buffer, raw: boolean): void {
    const slot: Slot = { chunks: undefined, sizeBytes: frame.length, closeAfter: false };
    this.slots.push(slot);
    this.inFlightBytes += frame.length;
    (raw ? this.respondRaw(frame) : this.respond(frame)).then((chunks) => {
      slot.chunks = chunks;
      slot.closeAfter = this.context.scope?.sasl?.failed === true;
    }, (error: unknown) => {
      this.context.controlBlock.metrics.addDoorError(
        error instanceof MambaError ? kafkaCodeOf(error.code) : -1);
      if (!(error instanceof MambaError)) {
        console.error('mamba: Kafka door: a request failed; closing its connection:', error);
      }
      this.destroy();
    }).finally(() => {
      this.inFlightBytes -= slot.sizeBytes;
      this.flush();
    });
  }

  /** The response frame for one request frame; null when none is due (acks 0). */
  private async respond(frame: Buffer): Promise<Uint8Array[] | null> {
    let request: DecodedRequest<never>;
    try {
      request = decodeRequest<never>(frame);
    } catch (error) {
      const header = peekRequestHeader(frame);
      if (header.requestApiKey !== ApiKey.API_VERSIONS) throw error;
      // Kafka's rule: an ApiVersions version it does not know is answered in v0.
      return encodeResponse(apiSchemas(ApiKey.API_VERSIONS)!, 0, header.correlationId,
        apiVersionsBody(kafkaErrorCode('UNSUPPORTED_VERSION')));
    }
    const { header, api } = request;
    this.context.controlBlock.metrics.addDoorRequest(header.requestApiKey);
    if (!this.authenticated && !beforeLogin.has(header.requestApiKey)) {
      throw new MambaError('INVALID_REQUEST',
        `API ${header.requestApiKey} before the SASL login is done`);
    }
    const handler = handlerFor(header.requestApiKey);
    const version = header.requestApiVersion;
    if (handler === undefined || version < handler.versions[0] || version > handler.versions[1]) {
      throw new MambaError('INVALID_REQUEST',
        `API ${header.requestApiKey} v${version} is not served`);
    }
    const client = { clientId: header.clientId ?? '', host: this.socket.remoteAddress ?? '' };
    const body = await handler.handle(this.context, request.body, version, client);
    if (body === null) return null;
    countErrorCodes(body, this.context.controlBlock.metrics);
    return encodeResponse(api!, version, header.correlationId, body);
  }

  /**
   * A raw SASL token (after a v0 handshake) and its raw answer. A failed login gets no answer
   * (the client sees the connection close), after the same delay as any failure.
   */
  private async respondRaw(token: Buffer): Promise<Uint8Array[] | null> {
    const scope = this.context.scope!;
    const outcome = await scope.sasl!.authenticate(token);
    if (outcome.errorCode !== 0) return null;
    if (scope.sasl!.authenticated) {
      scope.authenticated = true;
      scope.principal = `User:${scope.sasl!.user!}`;
    }
    const size = Buffer.alloc(4);
    size.writeInt32BE(outcome.token.length);
    return [size, outcome.token];
  }

  /** Writes the responses that are ready, in request order. */
  private flush(): void {
    if (this.isClosed) return;
    while (this.slots.length > 0 && this.slots[0].chunks !== undefined && !this.ending) {
      const slot = this.slots.shift()!;
      const chunks = slot.chunks as Uint8Array[] | null;
      if (chunks !== null) {
        if (chunks.length > 1) this.socket.cork();
        for (const chunk of chunks) this.socket.write(chunk);
        if (chunks.length > 1) this.socket.uncork();
      }
      if (slot.closeAfter) this.end();
    }
    if (this.slots.length === 0) this.onIdle?.();
    this.pump();
  }
}

/**
 * Counts the error codes an answer carries (`mamba_door_errors_total{code}`): Kafka answers most
 * failures inside the body, per topic, partition or group, not by failing the request. Walks the
 * answer's objects and arrays, never its record bytes.
 */
function countErrorCodes(value: unknown, metrics: { addDoorError(code: number): void }): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) countErrorCodes(item, metrics);
    return;
  }
  for (const [key, field] of Object.entries(value)) {
    // AddPartitionsToTxn names its per-partition code partitionErrorCode.
    if (key === 'errorCode' || key === 'partitionErrorCode') {
      if (typeof field === 'number' && field !== 0) metrics.addDoorError(field);
    } else if (typeof field === 'object' && field !== null) {
      countErrorCodes(field, metrics);
    }
  }
}
