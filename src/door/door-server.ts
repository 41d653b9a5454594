/**
 * The door's listener, in its worker thread: accepts connections and closes them all on
 * `close()`, after letting in-flight requests finish.
 */
import net from 'node:net';
import { Connection } from './connection.js';
import type { DoorContext } from './door-context.js';

export class DoorServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();

  constructor(private readonly context: DoorContext) {
    this.server = net.createServer((socket) => {
      const connection = new Connection(socket, context, (c) => this.connections.delete(c));
      this.connections.add(connection);
    });
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', reject);
        const address = this.server.address() as net.AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  async close(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.context.close();
    await Promise.all([...this.connections].map((c) => c.drain(graceMs)));
    await stopped;
  }
}
