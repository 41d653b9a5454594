/**
 * The broker's operations port (`broker.listenHttp`, `mamba serve --http`): node:http, no
 * framework, a handful of read-only routes.
 *
 * | route                     | answer                                                       |
 * | ------------------------- | ------------------------------------------------------------ |
 * | GET /metrics              | Prometheus text exposition                                   |
 * | GET /healthz              | 200 while the process serves HTTP (alive)                    |
 * | GET /readyz               | 200 when every partition is recovered and its actor ready,   |
 * |                           | else 503 with what is not                                    |
 * | GET /                     | the dashboard page (assets/dashboard/, shipped in the package) |
 * | GET /assets/<file>        | the page's script and style                                  |
 * | GET /vendor/uplot/<file>  | uPlot's dist files, resolved from node_modules               |
 * | GET /api/snapshot         | the dashboard's JSON                                         |
 * | GET /events               | the same JSON once a second, as Server-Sent Events            |
 *
 * Only GET and HEAD; anything else is 405. Event-stream clients are bounded.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MambaError, invalidConfig } from '../../errors.js';
import { ActorState, PartitionState } from '../../shm/index.js';
import type { OpsSource } from '../ops-source.js';
import type { BrokerMetrics } from '../metrics/metrics-registry.js';
import { actorStateOf } from '../metrics/metrics-registry.js';
import { dashboardSnapshot, type AlertView } from '../dashboard/dashboard-snapshot.js';

export interface HttpListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9644; 0 lets the system choose (see `address()`). */
  port?: number;
}

const eventStreamClientsMax = 64;
const eventIntervalMs = 1_000;
const require = createRequire(import.meta.url);

interface Asset {
  file: string;
  type: string;
}

/** The page's files, by the path the page asks for; nothing else on disk is served. */
function assetTable(): Map<string, Asset> {
  const dir = path.join(packageRoot(), 'assets', 'dashboard');
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return new Map<string, Asset>([
    ['/', { file: path.join(dir, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/assets/dashboard.js', { file: path.join(dir, 'dashboard.js'),
      type: 'text/javascript; charset=utf-8' }],
    ['/assets/dashboard.css', { file: path.join(dir, 'dashboard.css'),
      type: 'text/css; charset=utf-8' }],
    ['/vendor/uplot/uPlot.iife.min.js', { file: path.join(uplot, 'uPlot.iife.min.js'),
      type: 'text/javascript; charset=utf-8' }],
    ['/vendor/uplot/uPlot.min.css', { file: path.join(uplot, 'uPlot.min.css'),
      type: 'text/css; charset=utf-8' }],
  ]);
}

/** Mamba's package directory, found by walking up from this module (src/ or dist/src/). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string };
      if (manifest.name === 'mamba-mq') return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new MambaError('IO_ERROR', 'mamba-mq package.json not found');
    dir = parent;
  }
}

export function resolveHttpListenOptions(options: HttpListenOptions): Required<HttpListenOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig('options', options, 'an object');
  }
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9644;
  if (typeof host !== 'string' || host.length === 0) {
    throw invalidConfig('options.host', host, 'a host name or address');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidConfig('options.port', port, 'an integer from 0 to 65535');
  }
  return { host, port };
}

export class OpsHttpServer {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private readonly assets = assetTable();

  private constructor(private readonly server: Server, private readonly source: OpsSource,
    private readonly metrics: BrokerMetrics, private readonly alerts: () => AlertView[]) {}

  static async start(source: OpsSource, metrics: BrokerMetrics, alerts: () => AlertView[],
    options: HttpListenOptions): Promise<OpsHttpServer> {
    const { host, port } = resolveHttpListenOptions(options);
    const server = createServer();
    const ops = new OpsHttpServer(server, source, metrics, alerts);
    server.on('request', (request, response) => {
      ops.route(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`internal error: ${(error as Error).message}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new MambaError('IO_ERROR',
        `cannot listen for HTTP on ${host}:${port}: ${error.message}`, { cause: error })));
      server.listen(port, host, () => resolve());
    });
    return ops;
  }

  address(): { host: string; port: number } {
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Ends the event streams and stops listening; resolves once closed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    switch (url.pathname) {
      case '/metrics': {
        const text = await this.metrics.render();
        response.writeHead(200, { 'content-type': this.metrics.contentType }).end(text);
        return;
      }
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz':
        this.ready(response);
        return;
      case '/api/snapshot':
        this.json(response, this.snapshot());
        return;
      case '/events':
        this.openStream(request, response);
        return;
    }
    const asset = this.assets.get(url.pathname);
    if (asset === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' })
      .end(readFileSync(asset.file));
  }

  private snapshot(): ReturnType<typeof dashboardSnapshot> {
    return dashboardSnapshot(this.source, this.metrics.sampler, this.alerts());
  }

  private json(response: ServerResponse, value: unknown, status = 200): void {
    response.writeHead(status, { 'content-type': 'application/json' })
      .end(`${JSON.stringify(value)}\n`);
  }

  private ready(response: ServerResponse): void {
    const notReady: string[] = [];
    const block = this.source.controlBlock;
    for (let actor = 0; actor < this.source.actorCount; actor++) {
      if (actorStateOf(this.source, actor) !== ActorState.READY) notReady.push(`actor ${actor}`);
    }
    for (const topic of this.source.topics()) {
      for (let p = 0; p < topic.partitions; p++) {
        if (block.partitionState(topic.firstSlot + p) !== PartitionState.READY) {
          notReady.push(`${topic.name}-${p}`);
        }
      }
    }
    this.json(response, { ready: notReady.length === 0, notReady },
      notReady.length === 0 ? 200 : 503);
  }

  private openStream(request: IncomingMessage, response: ServerResponse): void {
    if (this.streams.size >= eventStreamClientsMax) {
      response.writeHead(503, { 'retry-after': '5' }).end('too many event streams\n');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive',
    });
    response.write(`retry: 2000\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.streams.add(response);
    request.on('close', () => this.streams.delete(response));
    this.timer ??= setInterval(() => this.broadcast(), eventIntervalMs);
  }

  private broadcast(): void {
    if (this.streams.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const frame = `data: ${JSON.stringify(this.snapshot())}\n\n`;
    for (const stream of this.streams) stream.write(frame);
  }
}
