/**
 * One TCP (or TLS) connection to one Kafka broker: frames out, frames in, responses matched to
 * their requests by correlation id, a timeout per request, and the versions both sides speak.
 *
 * Opening a connection: connect (bounded by `connectTimeoutMs`), ApiVersions (v2, whose answer
 * every broker sends in the v0 header), then SASL when configured (sasl-authenticator.ts). Each
 * API is then used at the highest version both this client (`clientVersionMax`) and the broker
 * support. The caps are versions whose fields the client code reads; a broker that supports
 * less gets a lower version and the codec fills the fields that version lacks with defaults.
 *
 * A request that times out drops the connection: Kafka answers in order, so a late response
 * would otherwise be taken for the next one's. Every pending request then fails with
 * CONNECTION_FAILED (retriable) and the cluster opens a new connection when next asked.
 */
import net from 'node:net';
import tls from 'node:tls';
import { MambaError } from '../errors.js';
import {
  ApiKey, FRAME_SIZE_BYTES, apiSchemas, decodeResponse, encodeRequest, type ApiSchemas,
  type ApiVersionsResponse,
} from '../protocol/index.js';
import type { BrokerAddress, ConnectConfig } from './connect-options.js';
import { fromKafkaCode } from './kafka-error.js';
import { authenticate } from './sasl-authenticator.js';

/** The highest version of each API this client speaks. */
const clientVersionMax: Record<number, number> = {
  [ApiKey.PRODUCE]: 8, [ApiKey.FETCH]: 11, [ApiKey.LIST_OFFSETS]: 5, [ApiKey.METADATA]: 8,
  [ApiKey.OFFSET_COMMIT]: 7, [ApiKey.OFFSET_FETCH]: 5, [ApiKey.FIND_COORDINATOR]: 2,
  [ApiKey.JOIN_GROUP]: 5, [ApiKey.HEARTBEAT]: 3, [ApiKey.LEAVE_GROUP]: 3,
  [ApiKey.SYNC_GROUP]: 3, [ApiKey.SASL_HANDSHAKE]: 1, [ApiKey.API_VERSIONS]: 2,
  [ApiKey.CREATE_TOPICS]: 4, [ApiKey.DELETE_TOPICS]: 3, [ApiKey.INIT_PRODUCER_ID]: 1,
  [ApiKey.DESCRIBE_CONFIGS]: 2, [ApiKey.SASL_AUTHENTICATE]: 1,
};

/** Frames larger than this are refused: a corrupt size word must not allocate gigabytes. */
const responseSizeBytesMax = 256 * 1024 * 1024;

interface Pending {
  api: ApiSchemas;
  version: number;
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface RequestOptions {
  /** Longer than the default for requests the broker may hold (Fetch's maxWaitMs). */
  timeoutMs?: number;
  /** Produce with acks 0: the broker sends nothing back; resolves once written. */
  noResponse?: boolean;
}

export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private readonly versions = new Map<number, [number, number]>();
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private closedError: MambaError | undefined;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(private readonly socket: net.Socket, readonly address: BrokerAddress,
    private readonly config: ConnectConfig) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(lost(address, error.message, error)));
    socket.on('close', () => this.fail(lost(address, 'connection closed')));
  }

  /** Connects, negotiates versions and authenticates. */
  static async open(address: BrokerAddress, config: ConnectConfig): Promise<BrokerConnection> {
    const socket = await connectSocket(address, config);
    const connection = new BrokerConnection(socket, address, config);
    try {
      await connection.negotiate();
      if (config.sasl !== undefined) await authenticate(connection, config.sasl);
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.push(listener);
  }

  /** The version this connection uses for `apiKey`; throws when the broker lacks the API. */
  versionOf(apiKey: number): number {
    const range = this.versions.get(apiKey);
    const max = clientVersionMax[apiKey];
    if (range === undefined || max === undefined || range[0] > max) {
      throw new MambaError('KAFKA_ERROR', `broker ${show(this.address)} does not serve ` +
        `${apiSchemas(apiKey)?.name ?? apiKey} at a version this client speaks`,
      { detail: { apiKey, range: range ?? null } });
    }
    return Math.min(range[1], max);
  }

  /** Sends one request and resolves with the decoded response body. */
  request<T>(apiKey: number, body: object, options: RequestOptions = {}): Promise<T> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const api = apiSchemas(apiKey)!;
    const version = apiKey === ApiKey.API_VERSIONS ? 2 : this.versionOf(apiKey);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fff_ffff;
    const chunks = encodeRequest(api, version, correlationId, this.config.clientId, body);
    if (options.noResponse === true) {
      return new Promise((resolve, reject) => {
        this.write(chunks, (error) => error ? reject(lost(this.address, error.message, error))
          : resolve(undefined as T));
      });
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs;
      const timer = setTimeout(() => {
        const error = new MambaError('TIMEOUT', `${api.name} to ${show(this.address)} got no ` +
          `response in ${timeoutMs} ms`, { detail: { apiKey, timeoutMs } });
        this.pending.delete(correlationId);
        reject(error);
        this.fail(lost(this.address, `a ${api.name} request timed out`));
      }, timeoutMs);
      this.pending.set(correlationId, {
        api, version, timer, resolve: resolve as (body: unknown) => void, reject,
      });
      this.write(chunks);
    });
  }

  /** Closes the socket; pending requests fail with CONNECTION_FAILED. */
  close(): void {
    this.fail(lost(this.address, 'connection closed by the client'));
  }

  private write(chunks: Uint8Array[], callback?: (error?: Error | null) => void): void {
    if (chunks.length > 1) this.socket.cork();
    for (let i = 0; i < chunks.length; i++) {
      this.socket.write(chunks[i], i === chunks.length - 1 ? callback : undefined);
    }
    if (chunks.length > 1) this.socket.uncork();
  }

  private async negotiate(): Promise<void> {
    const response = await this.request<ApiVersionsResponse>(ApiKey.API_VERSIONS, {
      clientSoftwareName: 'mamba', clientSoftwareVersion: '0.1.0',
    });
    if (response.errorCode !== 0) {
      throw fromKafkaCode(response.errorCode, `ApiVersions from ${show(this.address)}`);
    }
    for (const { apiKey, minVersion, maxVersion } of response.apiKeys) {
      this.versions.set(apiKey, [minVersion, maxVersion]);
    }
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    while (this.receivedBytes >= FRAME_SIZE_BYTES) {
      const head = this.received.length === 1 ? this.received[0]
        : (this.received = [Buffer.concat(this.received)])[0];
      const size = head.readInt32BE(0);
      if (size < 4 || size > responseSizeBytesMax) {
        this.fail(lost(this.address, `response frame of ${size} bytes`));
        return;
      }
      if (head.length < FRAME_SIZE_BYTES + size) return;
      const frame = head.subarray(FRAME_SIZE_BYTES, FRAME_SIZE_BYTES + size);
      const rest = head.subarray(FRAME_SIZE_BYTES + size);
      this.received = rest.length > 0 ? [rest] : [];
      this.receivedBytes = rest.length;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.pending.get(correlationId);
    if (pending === undefined) {
      this.fail(lost(this.address, `response to unknown correlation id ${correlationId}`));
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    try {
      pending.resolve(decodeResponse(pending.api, pending.version, frame).body);
    } catch (error) {
      pending.reject(error as Error);
      this.fail(lost(this.address, `undecodable ${pending.api.name} response`));
    }
  }

  private fail(error: MambaError): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    this.socket.destroy();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

function connectSocket(address: BrokerAddress, config: ConnectConfig): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { host, port } = address;
    const socket = config.ssl === undefined ? net.connect({ host, port })
      : tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...config.ssl,
        host, port });
    const ready = config.ssl === undefined ? 'connect' : 'secureConnect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(lost(address, `connect timed out after ${config.connectTimeoutMs} ms`));
    }, config.connectTimeoutMs);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(lost(address, error.message, error));
    });
  });
}

export function show(address: BrokerAddress): string {
  return `${address.host}:${address.port}`;
}

function lost(address: BrokerAddress, reason: string, cause?: unknown): MambaError {
  return new MambaError('CONNECTION_FAILED', `broker ${show(address)}: ${reason}`,
    { cause, detail: { broker: show(address) } });
}
