/**
 * A broker's operations side, opened with it: the metrics sampler (always on, so the shared
 * counters are widened however rarely anyone scrapes), the Prometheus registry, the alert
 * engine when rules are given, and the HTTP ports.
 */
import { readFile } from 'node:fs/promises';
import { MambaError } from '../errors.js';
import type { OpsSource } from './ops-source.js';
import { MetricsSampler } from './metrics/metrics-sampler.js';
import { BrokerMetrics } from './metrics/metrics-registry.js';
import { OpsHttpServer, type HttpListenOptions } from './http/ops-http-server.js';
import { AlertEngine } from './alerts/alert-engine.js';
import {
  checkAlertConfig, parseAlertConfig, type AlertConfig, type AlertConfigInput,
} from './alerts/alert-rules.js';
import type { AlertView } from './dashboard/dashboard-snapshot.js';

export class BrokerOps {
  readonly sampler: MetricsSampler;
  readonly metrics: BrokerMetrics;
  private alertEngine: AlertEngine | undefined;
  private readonly servers = new Set<OpsHttpServer>();

  constructor(private readonly source: OpsSource) {
    this.sampler = new MetricsSampler(source);
    this.metrics = new BrokerMetrics(source, this.sampler);
    this.sampler.start();
  }

  /** Prometheus text of every metric, read now. */
  render(): Promise<string> {
    return this.metrics.render();
  }

  async listenHttp(options: HttpListenOptions): Promise<OpsHttpServer> {
    const server = await OpsHttpServer.start(this.source, this.metrics, () => this.alertViews(),
      options);
    this.servers.add(server);
    return server;
  }

  /**
   * Starts evaluating alert rules: a path to a YAML file, or the rules as an object. Replaces
   * rules given before. Bad rules throw INVALID_CONFIG and leave the old ones running.
   */
  async alerts(rules: string | AlertConfigInput): Promise<AlertEngine> {
    const config: AlertConfig = typeof rules === 'string'
      ? parseAlertConfig(await readRules(rules), rules)
      : checkAlertConfig(rules);
    const engine = new AlertEngine(this.source, this.sampler, config);
    await this.alertEngine?.stop();
    this.alertEngine = engine;
    engine.start();
    return engine;
  }

  alertViews(): AlertView[] {
    return this.alertEngine?.views() ?? [];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.servers].map((server) => server.close()));
    this.servers.clear();
    await this.alertEngine?.stop();
    this.sampler.stop();
  }
}

async function readRules(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new MambaError('INVALID_CONFIG',
      `cannot read the alert rules ${file}: ${(error as Error).message}`,
      { cause: error, detail: { file } });
  }
}
