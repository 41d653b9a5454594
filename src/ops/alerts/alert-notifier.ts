/**
 * Delivers alert notifications to webhooks as Alertmanager's webhook JSON (version "4"), the
 * format chat, email and paging bridges already accept. Alertmanager's grouping rules keep it
 * from storming:
 *
 * - one group per rule (`groupKey` `{}:{alertname="…"}`); a notification carries every alert of
 *   the group, firing and just resolved;
 * - a new group waits `groupWaitMs` before its first notification, so alerts that start
 *   together go together; a changed group waits `groupIntervalMs` after the last one;
 * - an unchanged group is not sent again (deduplication) until `repeatIntervalMs` has passed
 *   while something in it still fires;
 * - a POST that fails is retried with exponential backoff (`deliveryAttemptsMax` attempts); a
 *   group has at most one delivery in flight, and the next tick sends its newest state.
 */
import { createHash } from 'node:crypto';
import type { AlertConfig } from './alert-rules.js';

export interface NotifiedAlert {
  key: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAtMs: number;
  /** Set once resolved. */
  endsAtMs: number | undefined;
}

interface Group {
  name: string;
  firing: Map<string, NotifiedAlert>;
  resolved: Map<string, NotifiedAlert>;
  createdAtMs: number;
  lastSentAtMs: number | undefined;
  lastSentFingerprint: string;
  sending: boolean;
}

export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

export const deliveryAttemptsMax = 5;
const retryDelayMsMin = 200;
const retryDelayMsMax = 5_000;
const deliveryTimeoutMs = 5_000;
/** Alertmanager's "not ended" time. */
const zeroTime = '0001-01-01T00:00:00Z';

export class AlertNotifier {
  private readonly groups = new Map<string, Group>();
  private readonly deliveries = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly config: AlertConfig, private readonly externalUrl = '') {}

  fire(rule: string, alert: NotifiedAlert): void {
    const group = this.group(rule);
    group.resolved.delete(alert.key);
    group.firing.set(alert.key, alert);
  }

  resolve(rule: string, key: string, endsAtMs: number): void {
    const group = this.group(rule);
    const alert = group.firing.get(key);
    if (alert === undefined) return;
    group.firing.delete(key);
    group.resolved.set(key, { ...alert, endsAtMs });
  }

  /** Sends what is due now (called after every evaluation). */
  flush(nowMs: number): void {
    if (this.stopped) return;
    for (const group of this.groups.values()) {
      if (group.sending) continue;
      const fingerprint = `${[...group.firing.keys()].sort().join(',')}|` +
        `${[...group.resolved.keys()].sort().join(',')}`;
      const changed = fingerprint !== group.lastSentFingerprint;
      const due = group.lastSentAtMs === undefined
        ? nowMs - group.createdAtMs >= this.config.groupWaitMs
        : nowMs - group.lastSentAtMs >= this.config.groupIntervalMs;
      const repeat = !changed && group.firing.size > 0 && group.lastSentAtMs !== undefined &&
        nowMs - group.lastSentAtMs >= this.config.repeatIntervalMs;
      if (!((changed && due) || repeat)) continue;
      this.send(group, nowMs);
    }
  }

  /** Waits for deliveries in flight (their retries included) and sends nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.deliveries]);
  }

  private group(rule: string): Group {
    let group = this.groups.get(rule);
    if (group === undefined) {
      group = {
        name: rule, firing: new Map(), resolved: new Map(), createdAtMs: Date.now(),
        lastSentAtMs: undefined, lastSentFingerprint: '', sending: false,
      };
      this.groups.set(rule, group);
    }
    return group;
  }

  private send(group: Group, nowMs: number): void {
    const message = this.message(group);
    const resolvedSent = [...group.resolved.keys()];
    // What the receiver knows after this delivery: these alerts firing, none resolved pending.
    const sentFingerprint = `${[...group.firing.keys()].sort().join(',')}|`;
    group.sending = true;
    const delivery = Promise.all(this.config.webhooks.map((url) => this.post(url, message)))
      .then((results) => {
        if (!results.every(Boolean)) return;
        group.lastSentAtMs = nowMs;
        group.lastSentFingerprint = sentFingerprint;
        for (const key of resolvedSent) group.resolved.delete(key);
        if (group.firing.size === 0 && group.resolved.size === 0) this.groups.delete(group.name);
      })
      .finally(() => {
        group.sending = false;
        this.deliveries.delete(delivery);
      });
    this.deliveries.add(delivery);
  }

  message(group: Group): WebhookMessage {
    const alerts = [...group.firing.values(), ...group.resolved.values()];
    const status = group.firing.size > 0 ? 'firing' : 'resolved';
    return {
      version: '4', groupKey: `{}:{alertname="${group.name}"}`, truncatedAlerts: 0, status,
      receiver: 'mamba', groupLabels: { alertname: group.name },
      commonLabels: common(alerts.map((a) => a.labels)),
      commonAnnotations: common(alerts.map((a) => a.annotations)),
      externalURL: this.externalUrl,
      alerts: alerts.map((alert) => ({
        status: alert.endsAtMs === undefined ? 'firing' : 'resolved',
        labels: alert.labels, annotations: alert.annotations,
        startsAt: new Date(alert.startsAtMs).toISOString(),
        endsAt: alert.endsAtMs === undefined ? zeroTime : new Date(alert.endsAtMs).toISOString(),
        generatorURL: this.externalUrl, fingerprint: fingerprintOf(alert.labels),
      })),
    };
  }

  /** POSTs with retries; true once a 2xx came back, false after the last attempt failed. */
  private async post(url: string, message: WebhookMessage): Promise<boolean> {
    let lastError = '';
    for (let attempt = 0; attempt < deliveryAttemptsMax && !this.stopped; attempt++) {
      if (attempt > 0) {
        const delayMs = Math.min(retryDelayMsMax, retryDelayMsMin * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      try {
        const response = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message), signal: AbortSignal.timeout(deliveryTimeoutMs),
        });
        await response.arrayBuffer();
        if (response.ok) return true;
        lastError = `HTTP ${response.status}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    console.warn(`mamba: alert ${message.groupLabels.alertname}: webhook ${url} failed ` +
      `(${lastError}); the next evaluation tries again`);
    return false;
  }
}

function common(sets: Record<string, string>[]): Record<string, string> {
  if (sets.length === 0) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(sets[0])) {
    if (sets.every((set) => set[key] === value)) out[key] = value;
  }
  return out;
}

export function fingerprintOf(labels: Record<string, string>): string {
  const text = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
