/**
 * Alerts (issue 14): rules from YAML or code, evaluated in the broker, posted to a local
 * webhook receiver in Alertmanager's format. A lag rule fires and resolves; a restart storm
 * fires once; a failed delivery is retried; bad rule files are INVALID_CONFIG naming the rule.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Broker, MambaError, parseAlertConfig, type WebhookMessage } from '../../src/index.js';
import { BrokerOps, type OpsSource } from '../../src/ops/index.js';
import { ControlBlock, PartitionState } from '../../src/shm/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  commitThrough, countingConsumer, produce, startReceiver, waitFor, type Receiver,
} from './helpers.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const opened: Broker[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const broker of opened.splice(0)) await broker.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function setUp(actors = 1): Promise<{ broker: Broker; receiver: Receiver }> {
  const broker = await Broker.open({ dataDir: tempDir(), actors });
  opened.push(broker);
  const receiver = await startReceiver();
  receivers.push(receiver);
  return { broker, receiver };
}

function messages(receiver: Receiver): WebhookMessage[] {
  return receiver.messages as WebhookMessage[];
}

const notify = (url: string) => ({
  webhooks: [url], groupWait: '0s', groupInterval: '0s', repeatInterval: '1h',
});

describe('alert rules in the broker', () => {
  it('fires a lag rule while a consumer is paused and resolves it after it resumes', async () => {
    const { broker, receiver } = await setUp();
    await broker.createTopic('orders', { partitions: 1 });
    const reader = await countingConsumer(broker, 'billing', 'orders');
    await produce(broker, 'orders', 5);
    await waitFor(() => reader.processed() === 5, 'the first 5 records');
    await commitThrough(broker, reader.consumer, 'orders');
    // The first delivery fails: it is retried with backoff, not lost.
    receiver.failures = 1;
    const rulesFile = path.join(tempDir(), 'alerts.yaml');
    writeFileSync(rulesFile, [
      'interval: 100ms',
      'notify:',
      `  webhooks: [${receiver.url}]`,
      '  groupWait: 0s',
      '  groupInterval: 0s',
      'rules:',
      '  - name: LagHigh',
      '    kind: consumer-lag',
      '    above: 10',
      '    group: bill*',
      '',
    ].join('\n'));
    await broker.alerts(rulesFile);
    reader.consumer.pause([{ topic: 'orders' }]);
    await produce(broker, 'orders', 30);
    await waitFor(() => messages(receiver).length >= 1, 'a firing notification');
    const firing = messages(receiver)[0];
    expect(receiver.failed).toBe(1);
    expect(firing).toMatchObject({
      version: '4', status: 'firing', receiver: 'mamba', groupKey: '{}:{alertname="LagHigh"}',
      groupLabels: { alertname: 'LagHigh' },
    });
    expect(firing.alerts).toHaveLength(1);
    expect(firing.alerts[0]).toMatchObject({
      status: 'firing', endsAt: '0001-01-01T00:00:00Z',
      labels: { alertname: 'LagHigh', group: 'billing', topic: 'orders', partition: '0',
        severity: 'warning' },
    });
    expect(firing.alerts[0].annotations.summary).toContain('lags 30 records');
    expect(Date.parse(firing.alerts[0].startsAt)).not.toBeNaN();

    reader.consumer.resume([{ topic: 'orders' }]);
    await waitFor(() => reader.processed() === 35, 'the consumer to catch up');
    await commitThrough(broker, reader.consumer, 'orders');
    await waitFor(() => messages(receiver).some((m) => m.status === 'resolved'),
      'a resolved notification');
    const resolved = messages(receiver).find((m) => m.status === 'resolved')!;
    expect(resolved.alerts[0].status).toBe('resolved');
    expect(Date.parse(resolved.alerts[0].endsAt)).toBeGreaterThanOrEqual(
      Date.parse(resolved.alerts[0].startsAt));
    expect(resolved.alerts[0].fingerprint).toBe(firing.alerts[0].fingerprint);
    expect(messages(receiver).filter((m) => m.status === 'firing')).toHaveLength(1);
    await reader.consumer.close();
    await reader.running;
  });

  it('fires a restart storm once, however many restarts follow', async () => {
    const { broker, receiver } = await setUp();
    await broker.createTopic('t', { partitions: 1 });
    const engine = await broker.alerts({
      interval: 100, notify: notify(receiver.url),
      rules: [{ name: 'RestartStorm', kind: 'actor-restarts', above: 1 }],
    });
    for (let i = 0; i < 3; i++) {
      await broker.crashActor(0, 'throw');
      await broker.settled();
    }
    await waitFor(() => messages(receiver).length >= 1, 'a firing notification');
    const after = engine.evaluationCount;
    await waitFor(() => engine.evaluationCount >= after + 5, 'five more evaluations');
    expect(messages(receiver)).toHaveLength(1);
    expect(messages(receiver)[0].status).toBe('firing');
    expect(messages(receiver)[0].alerts.map((a) => a.labels.actor)).toEqual(['0']);
    expect(engine.views()).toMatchObject([{ rule: 'RestartStorm', state: 'firing' }]);
  });

  it('fires a DLQ rule when records arrive in a topic matching its pattern', async () => {
    const { broker, receiver } = await setUp();
    await broker.createTopic('orders.DLQ', { partitions: 1 });
    await broker.createTopic('orders', { partitions: 1 });
    await broker.alerts({
      interval: 100, notify: notify(receiver.url),
      rules: [{ name: 'DlqReceiving', kind: 'dlq-messages' }],
    });
    await produce(broker, 'orders', 3);
    await produce(broker, 'orders.DLQ', 2);
    await waitFor(() => messages(receiver).length >= 1, 'a firing notification');
    expect(messages(receiver)[0].alerts.map((a) => a.labels.topic)).toEqual(['orders.DLQ']);
  });

  it('fires a flush latency rule above its p99 threshold', async () => {
    const { broker, receiver } = await setUp();
    await broker.createTopic('orders', { partitions: 1 });
    await broker.alerts({
      interval: 100, notify: notify(receiver.url),
      rules: [{ name: 'FlushSlow', kind: 'flush-latency-p99', above: '0ms' }],
    });
    const producer = broker.producer({ acks: 'all' });
    await waitFor(async () => {
      await producer.send('orders', { value: 'x' });
      return messages(receiver).length >= 1;
    }, 'a firing notification');
    expect(messages(receiver)[0].alerts[0].annotations.summary).toMatch(/flush latency p99/);
  });

  it('fires a disk-free rule below its percentage', async () => {
    const { broker, receiver } = await setUp();
    // Any real file system has less than 99.99 % free.
    await broker.alerts({
      interval: 100, notify: notify(receiver.url),
      rules: [{ name: 'DiskLow', kind: 'disk-free', below: 99.99 }],
    });
    await waitFor(() => messages(receiver).length >= 1, 'a firing notification');
    expect(messages(receiver)[0].alerts[0].labels.path).toBe(broker.dataDir);
  });
});

describe('bad alert rules', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['an unknown kind', 'rules:\n  - name: A\n    kind: lagg\n',
      /alerts\.yaml:3: rules\[0\]\.kind \(A\): kind must be one of consumer-lag/],
    ['a negative threshold', 'rules:\n  - { name: A, kind: consumer-lag, above: 5 }\n' +
      '  - name: B\n    kind: actor-restarts\n    above: -1\n',
    /alerts\.yaml:5: rules\[1\]\.above \(B\): above must be a non-negative number/],
    ['a bad duration', 'rules:\n  - name: A\n    kind: consumer-lag\n    above: 5\n' +
      '    for: soon\n', /alerts\.yaml:5: rules\[0\]\.for \(A\): for must be a duration/],
    ['an unknown field', 'rules:\n  - name: A\n    kind: partition-failed\n    abov: 3\n',
      /alerts\.yaml:4: rules\[0\]\.abov \(A\): unknown field "abov"/],
    ['a duplicate name', 'rules:\n  - { name: A, kind: partition-failed }\n' +
      '  - { name: A, kind: partition-failed }\n', /rules\[1\]\.name: duplicate rule name "A"/],
    ['a bad webhook', 'notify:\n  webhooks: [ftp://x]\nrules:\n  - { name: A, kind: disk-free,' +
      ' below: 5 }\n', /alerts\.yaml:2: notify\.webhooks\[0\]: must be an http\(s\) URL/],
    ['broken YAML', 'rules:\n  - name: [A\n', /alerts\.yaml:\d+: not valid YAML/],
    ['no rules', 'interval: 5s\n', /rules: must be a list of 1 to 256 rules/],
  ];
  it.each(cases)('%s is INVALID_CONFIG pointing at the rule', (_name, text, message) => {
    let caught: unknown;
    try {
      parseAlertConfig(text, 'alerts.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MambaError);
    expect(caught).toMatchObject({ code: 'INVALID_CONFIG', retriable: false });
    expect((caught as Error).message).toMatch(message);
  });

  it('leaves a broker running when its rules file is bad', async () => {
    const { broker } = await setUp();
    const file = path.join(tempDir(), 'alerts.yaml');
    writeFileSync(file, 'rules:\n  - name: A\n    kind: nope\n');
    await expect(broker.alerts(file)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(broker.alerts(path.join(tempDir(), 'missing.yaml')))
      .rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(broker.listTopics()).toEqual([]);
  });
});

describe('mamba alerts export', () => {
  it('prints the rules as a Prometheus alerting-rules file', async () => {
    const file = path.join(tempDir(), 'alerts.yaml');
    writeFileSync(file, [
      'rules:',
      '  - { name: LagHigh, kind: consumer-lag, above: 1000, for: 2m, topic: "orders*" }',
      '  - { name: RestartStorm, kind: actor-restarts, above: 3, severity: critical }',
      '  - { name: FlushSlow, kind: flush-latency-p99, above: 50ms }',
      '  - { name: Dlq, kind: dlq-messages }',
      '',
    ].join('\n'));
    const { stdout } = await run(process.execPath,
      [path.join(root, 'dist/src/cli/main.js'), 'alerts', 'export', '--alerts', file]);
    const exported = parse(stdout) as { groups: Array<{ name: string; rules: Array<{
      alert: string; expr: string; for?: string; labels: Record<string, string> }> }> };
    const rules = exported.groups[0].rules;
    expect(rules.map((r) => r.alert)).toEqual(['LagHigh', 'RestartStorm', 'FlushSlow', 'Dlq']);
    expect(rules[0]).toMatchObject({
      expr: 'mamba_group_lag{group=~".*",topic=~"orders.*"} > 1000', for: '2m',
      labels: { severity: 'warning' },
    });
    expect(rules[1]).toMatchObject({
      expr: 'increase(mamba_actor_restarts_total[1m]) > 3', labels: { severity: 'critical' },
    });
    expect(rules[2].expr).toBe('histogram_quantile(0.99, sum by (le) ' +
      '(rate(mamba_flush_latency_seconds_bucket[5m]))) > 0.05');
    expect(rules[3].expr).toBe(
      'sum by (topic) (increase(mamba_produce_records_total{topic=~".*\\\\.DLQ"}[5m])) > 0');
  });

  it('exits 2 with the error for a bad rules file', async () => {
    const file = path.join(tempDir(), 'alerts.yaml');
    writeFileSync(file, 'rules:\n  - name: A\n    kind: nope\n');
    const failure = await run(process.execPath,
      [path.join(root, 'dist/src/cli/main.js'), 'alerts', 'export', '--alerts', file])
      .then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('alerts.yaml:3: rules[0].kind (A)');
  });
});

describe('a partition-failed rule', () => {
  it('fires while a partition is failed and resolves once it is ready again', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const block = ControlBlock.create();
    block.setPartitionState(0, PartitionState.READY);
    block.setPartitionState(1, PartitionState.FAILED);
    const source: OpsSource = {
      dataDir: tempDir(), actorCount: 1, controlBlock: block,
      events: { on: () => undefined, off: () => undefined },
      topics: () => [{ name: 'orders', firstSlot: 0, partitions: 2 }], actorOf: () => 0,
      groups: () => [], heartbeatAgeMs: () => 0,
      ringOccupancy: () => ({ usedBytes: 0, capacityBytes: 0 }), producerBufferedBytes: () => 0,
    };
    const ops = new BrokerOps(source);
    try {
      const engine = await ops.alerts({
        interval: 100, notify: notify(receiver.url),
        rules: [{ name: 'PartitionFailed', kind: 'partition-failed', severity: 'critical' }],
      });
      await waitFor(() => messages(receiver).length >= 1, 'a firing notification');
      expect(messages(receiver)[0].alerts[0].labels).toEqual({
        alertname: 'PartitionFailed', severity: 'critical', topic: 'orders', partition: '1',
      });
      block.setPartitionState(1, PartitionState.READY);
      await waitFor(() => messages(receiver).length >= 2, 'a resolved notification');
      expect(messages(receiver)[1].status).toBe('resolved');
      expect(engine.views()).toEqual([]);
    } finally {
      await ops.close();
    }
  });
});
