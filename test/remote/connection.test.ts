/**
 * The remote client's connection handling against misbehaving endpoints: a broker that never
 * answers (request timeout), one that drops every connection (reconnects, then the typed
 * error), and metadata that learns a topic created after it was read.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killServed, serve } from './serve-process.js';

const servers: net.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
  killServed();
});

/** A TCP server that runs `onConnection` for each client; resolves with its port. */
async function fakeBroker(onConnection: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  }) as typeof server.close;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function failure(promise: Promise<unknown>): Promise<MambaError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MambaError);
  return error as MambaError;
}

it('times out a request the broker never answers, and retries on a new connection', async () => {
  let connections = 0;
  const port = await fakeBroker(() => { connections++; });
  const error = await failure(Broker.connect({ brokers: [`127.0.0.1:${port}`],
    requestTimeoutMs: 100, retryTimeoutMs: 400, reconnectBackoffMs: 10 }));
  expect(error.code).toBe('TIMEOUT');
  expect(error.retriable).toBe(true);
  // Each timeout dropped its connection; the retries opened new ones.
  expect(connections).toBeGreaterThan(1);
});

it('reconnects to a broker that drops connections, then reports CONNECTION_FAILED', async () => {
  let connections = 0;
  const port = await fakeBroker((socket) => {
    connections++;
    socket.destroy();
  });
  const error = await failure(Broker.connect({ brokers: [`127.0.0.1:${port}`],
    retryTimeoutMs: 500, reconnectBackoffMs: 10, reconnectBackoffMsMax: 40 }));
  expect(error.code).toBe('CONNECTION_FAILED');
  expect(connections).toBeGreaterThan(1);
});

it('refuses bad connect options with INVALID_CONFIG', async () => {
  const bad = [
    { brokers: [] }, { brokers: ['no-port'] }, { brokers: ['h:1'], ssl: 'yes' },
    { brokers: ['h:1'], sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } },
    { brokers: ['h:1'], requestTimeoutMs: -1 }, { brokers: ['h:1'], bootstrap: ['h:2'] },
  ];
  for (const options of bad) {
    const error = await failure(Promise.resolve().then(() =>
      Broker.connect(options as unknown as Parameters<typeof Broker.connect>[0])));
    expect(error.code, JSON.stringify(options)).toBe('INVALID_CONFIG');
  }
});

it('finds a topic another client created after its metadata was read', async () => {
  const served = await serve(tempDir());
  const brokers = [`127.0.0.1:${served.port}`];
  const first = await Broker.connect({ brokers });
  const other = await Broker.connect({ brokers });
  expect(await first.listTopics()).not.toContain('late');
  await other.createTopic('late', { partitions: 2 });
  const sent = await first.producer().send('late', { value: 'found', partition: 1 });
  expect(sent).toEqual({ topic: 'late', partition: 1, offset: 0 });
  await other.close();
  await first.close();
  await served.stop();
});
