/**
 * Metrics (issue 14): the Prometheus text of `broker.metrics()` and `/metrics` agrees with what
 * was produced and consumed; the shared 32-bit counters are widened across their wrap; the
 * HTTP port answers /healthz, /readyz (503 while a partition is not ready) and /metrics.
 */
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { BrokerOps, type OpsSource } from '../../src/ops/index.js';
import {
  ACTOR_STATE, ActorState, ControlBlock, METRIC_APPENDED_RECORDS, PartitionState,
  SharedHistogram,
} from '../../src/shm/index.js';
import { MetricsSampler, PartitionCounter } from '../../src/ops/metrics/metrics-sampler.js';
import { tempDir } from '../helpers/temp-dir.js';
import { commitThrough, countingConsumer, produce, waitFor } from './helpers.js';

/** Every sample of `name` in Prometheus text, as [labels text, value]. */
function samples(text: string, name: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match !== null && match[1] === name) out.push([match[2] ?? '', Number(match[3])]);
  }
  return out;
}

function value(text: string, name: string, labels: string): number {
  const found = samples(text, name).find(([l]) => l === labels);
  if (found === undefined) throw new Error(`no ${name}${labels} in\n${text}`);
  return found[1];
}

function fakeSource(block: ControlBlock, topics = [{ name: 't', firstSlot: 0, partitions: 1 }]):
  OpsSource {
  return {
    dataDir: tempDir(), actorCount: 1, controlBlock: block,
    events: { on: () => undefined, off: () => undefined },
    topics: () => topics, actorOf: () => 0, groups: () => [], heartbeatAgeMs: () => 0,
    ringOccupancy: () => ({ usedBytes: 0, capacityBytes: 0 }), producerBufferedBytes: () => 0,
  };
}

const opened: Broker[] = [];
afterEach(async () => {
  for (const broker of opened.splice(0)) await broker.close();
});

describe('broker.metrics()', () => {
  it('counts what was produced, stored and consumed, per partition, group and actor', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
    opened.push(broker);
    await broker.createTopic('orders', { partitions: 2 });
    const all = broker.producer({ acks: 'all' });
    for (let i = 0; i < 10; i++) await all.send('orders', { partition: 1, value: `a${i}` });
    await produce(broker, 'orders', 25);
    const reader = await countingConsumer(broker, 'billing', 'orders');
    await waitFor(() => reader.processed() === 35, 'the consumer to read 35 records');
    await commitThrough(broker, reader.consumer, 'orders');
    const p0 = '{topic="orders",partition="0"}';
    const p1 = '{topic="orders",partition="1"}';
    // The actors publish the log-size gauges every 250 ms: wait for the one of the last append.
    await waitFor(async () => {
      const now = await broker.metrics();
      return value(now, 'mamba_partition_log_size_bytes', p0) ===
        value(now, 'mamba_produce_bytes_total', p0);
    }, 'the log-size gauge to be published');
    const text = await broker.metrics();

    expect(value(text, 'mamba_partition_high_watermark', p0)).toBe(25);
    expect(value(text, 'mamba_partition_high_watermark', p1)).toBe(10);
    expect(value(text, 'mamba_produce_records_total', p0)).toBe(25);
    expect(value(text, 'mamba_produce_records_total', p1)).toBe(10);
    expect(value(text, 'mamba_consume_records_total', p0)).toBe(25);
    expect(value(text, 'mamba_consume_records_total', p1)).toBe(10);
    expect(value(text, 'mamba_partition_durable_offset', p1)).toBe(10);
    // A fresh log holds exactly the batch bytes appended to it.
    expect(value(text, 'mamba_partition_log_size_bytes', p0))
      .toBe(value(text, 'mamba_produce_bytes_total', p0));
    expect(value(text, 'mamba_partition_segments', p0)).toBe(1);
    expect(value(text, 'mamba_produce_ack_latency_seconds_count', '{acks="all"}')).toBe(10);
    expect(value(text, 'mamba_produce_ack_latency_seconds_count', '{acks="1"}')).toBeGreaterThan(0);
    expect(value(text, 'mamba_produce_ack_latency_seconds_bucket', '{acks="all",le="+Inf"}'))
      .toBe(10);
    expect(value(text, 'mamba_flush_latency_seconds_count', '')).toBeGreaterThan(0);
    expect(value(text, 'mamba_end_to_end_latency_seconds_count', '')).toBeGreaterThan(0);
    expect(value(text, 'mamba_group_committed_offset',
      '{group="billing",topic="orders",partition="0"}')).toBe(25);
    expect(value(text, 'mamba_group_lag', '{group="billing",topic="orders",partition="1"}'))
      .toBe(0);
    expect(value(text, 'mamba_group_members', '{group="billing"}')).toBe(1);
    expect(value(text, 'mamba_actor_state', '{actor="0",state="ready"}')).toBe(1);
    expect(value(text, 'mamba_actor_restarts_total', '{actor="1"}')).toBe(0);
    expect(value(text, 'mamba_actor_ring_capacity_bytes', '{actor="0"}')).toBeGreaterThan(0);
    expect(value(text, 'process_resident_memory_bytes', '')).toBeGreaterThan(0);
    expect(samples(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(text).toContain('# TYPE mamba_produce_records_total counter');
    await reader.consumer.close();
    await reader.running;
  });

  it('counts an actor restart and its recovery', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    opened.push(broker);
    await broker.createTopic('t', { partitions: 1 });
    await broker.crashActor(0, 'throw');
    await broker.settled();
    const text = await broker.metrics();
    expect(value(text, 'mamba_actor_restarts_total', '{actor="0"}')).toBe(1);
    expect(value(text, 'mamba_actor_recovery_duration_seconds', '{actor="0"}'))
      .toBeGreaterThan(0);
  });
});

describe('the Kafka door', () => {
  it('counts connections, requests per API and failed requests', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    opened.push(broker);
    const door = await broker.listen({ port: 0 });
    const kafka = new Kafka({
      clientId: 'metrics', brokers: [`127.0.0.1:${door.address().port}`],
      logLevel: logLevel.NOTHING, retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await admin.listTopics();
    let text = await broker.metrics();
    expect(value(text, 'mamba_door_connections', '')).toBeGreaterThan(0);
    expect(value(text, 'mamba_door_requests_total', '{api="api_versions"}')).toBeGreaterThan(0);
    expect(value(text, 'mamba_door_requests_total', '{api="metadata"}')).toBeGreaterThan(0);
    expect(value(text, 'mamba_door_requests_total', '{api="create_topics"}')).toBe(1);
    await admin.disconnect();
    await waitFor(async () => value(await broker.metrics(), 'mamba_door_connections', '') === 0,
      'the door to count its connections closed');
    expect(samples(await broker.metrics(), 'mamba_door_errors_total')).toEqual([]);

    // A request for an API the door does not serve (key 999) fails as a whole: the door closes
    // the connection and counts the error.
    const socket = connect(door.address().port, '127.0.0.1');
    const frame = Buffer.alloc(14);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(999, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    socket.end(frame);
    socket.resume();
    await new Promise((resolve) => socket.on('close', resolve));
    await waitFor(async () => samples(await broker.metrics(), 'mamba_door_errors_total')
      .length > 0, 'the error to be counted');
    text = await broker.metrics();
    expect(samples(text, 'mamba_door_errors_total')).toEqual([['{code="INVALID_REQUEST"}', 1]]);

    // Most failures are answered inside the body, per topic or partition: counted too.
    const again = kafka.admin();
    await again.connect();
    expect(await again.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] }))
      .toBe(false);
    await again.disconnect();
    text = await broker.metrics();
    expect(samples(text, 'mamba_door_errors_total')).toContainEqual(
      ['{code="TOPIC_ALREADY_EXISTS"}', 1]);
  });
});

describe('shared counters', () => {
  it('are widened to 64 bits across the 32-bit wrap', () => {
    const block = ControlBlock.create();
    const word = block.metrics.partitionWord(0, METRIC_APPENDED_RECORDS);
    Atomics.store(block.metrics.i32, word, 0xffff_fff0 | 0);
    const sampler = new MetricsSampler(fakeSource(block));
    sampler.sample();
    // A slot's words are zeroed when its last owner goes: what a new owner's first sample
    // finds was counted for it.
    const first = 0xffff_fff0;
    expect(sampler.partitionTotal(0, PartitionCounter.APPENDED_RECORDS)).toBe(first);
    block.metrics.addAppended(0, 0x20, 1);
    sampler.sample();
    expect(Atomics.load(block.metrics.i32, word)).toBe(0x10);
    expect(sampler.partitionTotal(0, PartitionCounter.APPENDED_RECORDS)).toBe(first + 0x20);
    for (let i = 0; i < 3; i++) {
      block.metrics.addAppended(0, 0x7fff_ffff, 0);
      sampler.sample();
    }
    expect(sampler.partitionTotal(0, PartitionCounter.APPENDED_RECORDS))
      .toBe(first + 0x20 + 3 * 0x7fff_ffff);
  });

  it('read the log gauges as one consistent pair, sizes past 4 GiB included', () => {
    const block = ControlBlock.create();
    block.metrics.publishLogGauges(3, 7, 5 * 2 ** 32 + 12345);
    const into = { segmentCount: 0, sizeBytes: 0 };
    block.metrics.logGauges(3, into);
    expect(into).toEqual({ segmentCount: 7, sizeBytes: 5 * 2 ** 32 + 12345 });
  });

  it('put observations in Prometheus buckets (le is inclusive)', () => {
    const block = ControlBlock.create();
    const sampler = new MetricsSampler(fakeSource(block));
    block.metrics.observe(SharedHistogram.FLUSH, 0.001);
    block.metrics.observe(SharedHistogram.FLUSH, 0.0011);
    block.metrics.observe(SharedHistogram.FLUSH, 60);
    sampler.sample();
    // Bounds: …, 0.0005, 0.001 (index 3), 0.0025 (index 4), …, 5, +Inf (index 15).
    expect(sampler.histogramTotal(SharedHistogram.FLUSH, 3)).toBe(1);
    expect(sampler.histogramTotal(SharedHistogram.FLUSH, 4)).toBe(1);
    expect(sampler.histogramTotal(SharedHistogram.FLUSH, 15)).toBe(1);
  });
});

describe('the HTTP port', () => {
  it('serves /metrics, /healthz and /readyz of a broker', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    opened.push(broker);
    await broker.createTopic('orders', { partitions: 2 });
    const server = await broker.listenHttp({ port: 0 });
    const base = `http://127.0.0.1:${server.address().port}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('mamba_partition_high_watermark{topic="orders",' +
      'partition="1"} 0');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, notReady: [] });
    expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers /readyz with 503 and what is not ready', async () => {
    const block = ControlBlock.create();
    block.setPartitionState(0, PartitionState.READY);
    block.setPartitionState(1, PartitionState.RECOVERING);
    Atomics.store(block.i32, block.actorWord(0, ACTOR_STATE), ActorState.READY);
    const ops = new BrokerOps(fakeSource(block, [{ name: 't', firstSlot: 0, partitions: 2 }]));
    try {
      const server = await ops.listenHttp({ port: 0 });
      const ready = await fetch(`http://127.0.0.1:${server.address().port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, notReady: ['t-1'] });
    } finally {
      await ops.close();
    }
  });

  it('rejects bad listen options with INVALID_CONFIG', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    opened.push(broker);
    await expect(broker.listenHttp({ port: 70000 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG', message: expect.stringContaining('options.port'),
    });
  });
});
