/**
 * Operations: Prometheus metrics read from shared memory, the HTTP port (metrics, health,
 * readiness, the live dashboard), and alert rules with webhook notifications. Above the door
 * (it reads every layer below), below the CLI.
 */
export { BrokerOps } from './broker-ops.js';
export type {
  OpsEventMap, OpsEvents, OpsGroup, OpsGroupMember, OpsSource, OpsTopic,
} from './ops-source.js';
export { OpsHttpServer, resolveHttpListenOptions } from './http/ops-http-server.js';
export type { HttpListenOptions } from './http/ops-http-server.js';
export { AlertEngine } from './alerts/alert-engine.js';
export { AlertNotifier, fingerprintOf } from './alerts/alert-notifier.js';
export type { WebhookMessage } from './alerts/alert-notifier.js';
export {
  ALERT_KINDS, checkAlertConfig, globMatcher, parseAlertConfig,
} from './alerts/alert-rules.js';
export type { AlertConfig, AlertConfigInput, AlertKind, AlertRule } from './alerts/alert-rules.js';
export { exportPrometheusRules } from './alerts/alert-export.js';
export type { DashboardSnapshot, AlertView } from './dashboard/dashboard-snapshot.js';
export { histogramQuantile } from './metrics/histogram-math.js';
