/**
 * A minimal Kafka client over Mamba's own protocol layer (the client direction: encode
 * requests, decode responses), for tests that need exact control of what goes on the wire.
 */
import net from 'node:net';
import {
  apiSchemas, decodeResponse, encodeRequest,
} from '../../src/protocol/index.js';

export class WireClient {
  private buffered = Buffer.alloc(0);
  private readonly waiting: Array<(payload: Buffer) => void> = [];
  private nextCorrelation = 1;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 &&
        this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const payload = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(payload);
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port },
        () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one request and resolves with its decoded response body. */
  async call<T = Record<string, unknown>>(apiKey: number, version: number,
    body: object): Promise<T> {
    const api = apiSchemas(apiKey)!;
    const correlation = this.nextCorrelation++;
    const response = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    for (const chunk of encodeRequest(api, version, correlation, 'wire-test', body)) {
      this.socket.write(chunk);
    }
    const decoded = decodeResponse<T>(api, version, await response);
    if (decoded.correlationId !== correlation) throw new Error('correlation id mismatch');
    return decoded.body;
  }

  /** Sends a request without waiting for a response (acks 0, or bytes meant to be bad). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
