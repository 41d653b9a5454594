/**
 * A TCP proxy in front of `mamba serve` whose connections a test can cut: the broker is
 * started with `--advertise` naming the proxy, so every connection the client opens (the
 * bootstrap one and those Metadata points it to) runs through here.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Sets where new connections go (the broker's port; again after a restart). */
  target(port: number): void;
  /**
   * Cuts the connection on which the broker next sends bytes (open now or later), and does
   * not pass those bytes on: the broker has handled a request whose answer the client never
   * sees. Resolves with 1 once it has cut.
   */
  cutAtNextResponse(): Promise<number>;
  close(): Promise<void>;
}

export async function startProxy(): Promise<TcpProxy> {
  let targetPort = 0;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let onCut: ((count: number) => void) | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      const resolve = onCut;
      if (resolve === undefined) {
        client.write(chunk);
        return;
      }
      onCut = undefined;
      end();
      resolve(1);
    });
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    target: (next) => { targetPort = next; },
    cutAtNextResponse: () => new Promise((resolve) => { onCut = resolve; }),
    close: () => new Promise((resolve) => {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      server.close(() => resolve());
    }),
  };
}
