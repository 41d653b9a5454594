/**
 * `npm run bench -- kafka`: 100-byte messages through the Kafka door, beside Mamba embedded and
 * the networked peers, in the same run on the same machine:
 *
 * - kcat (librdkafka) producing with acks 1 and all, and consuming to the end;
 * - kafkajs producing with acks 1 and all (batches of `--batch` messages, several in flight);
 * - the embedded producer (main thread, `sendBatch`) with acks 1 and all: the ratio the door
 *   reaches against it is reported;
 * - `Broker.connect()` (mamba-connect): the same producer code as embedded, to the door over
 *   the network, with its ratio to embedded printed per acks level;
 * - consuming to the end: kcat (one partition), `kcat -G` (a consumer group through the
 *   door's group coordinator), an embedded group consumer and a `Broker.connect()` group
 *   consumer (the same consumer code), with the group readers' ratios to embedded printed;
 * - the peers of `npm run bench -- peers` (Redis Streams with `appendfsync no` at acks 1 and
 *   `appendfsync always` at acks all, NATS JetStream, RabbitMQ), each skipped with its reason
 *   when it is not running (start them with scripts/peers.sh start).
 *
 * Door and embedded figures are messages per second over a counted run (connect to last
 * acknowledgement); the peers run on the bench harness for `--duration` after a warm-up, with
 * batches of `--peer-batch` as in the peers suite. The run ends with issue 11's targets and
 * writes the JSON and the chart.
 *
 * Options: --messages N (1,000,000)  --batch N (1,000)  --peer-batch N (100)
 *   --duration MS (5,000)  --dir PATH
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker, type RemoteBroker } from '../src/index.js';
import { writeReportFiles } from './harness/result-files.js';
import { renderTable } from './harness/result-table.js';
import { notRunResult, type ScenarioResult } from './harness/scenario-result.js';
import { runScenario } from './harness/scenario-runner.js';
import { acksLabel, type Scenario } from './harness/scenario.js';
import { machineInfo, type SuiteReport } from './harness/suite-report.js';
import { packageRoot } from './harness/suite-runner.js';
import { renderTargetChecks } from './harness/target-check.js';
import {
  countedResult, embeddedSystem, kafkajsSystem, kafkaScenarios, kafkaTargets, kcatSystem,
  markdownTable, type CountedSystem, type KafkaScenarios,
} from './kafka/kafka-targets.js';
import { peerFactories } from './systems/index.js';

interface Options {
  messages: number;
  batch: number;
  peerBatch: number;
  durationMs: number;
  dir: string | undefined;
}

/** Printed by the dispatcher for `mamba bench kafka --help`. */
export const help = 'usage: mamba bench kafka [options]   (or: npm run bench -- kafka ...)\n' +
  '  --messages 1000000   messages of each door and embedded run\n' +
  '  --batch 1000         messages per batch of kafkajs and the embedded producer\n' +
  '  --peer-batch 100     messages per batch of the peers (as in the peers suite)\n' +
  '  --duration 5000      measured ms of each peer run (after 1 s of warm-up)\n' +
  '  --dir PATH           the broker\'s data directory (default: a temporary one, removed)';

const flags = ['--messages', '--batch', '--peer-batch', '--duration', '--dir'];

function parse(args: string[]): Options {
  for (let index = 0; index < args.length; index += 2) {
    if (!flags.includes(args[index]!) || args[index + 1] === undefined) {
      throw new Error(`unknown option or missing value: ${args[index]}\n${help}`);
    }
  }
  const value = (name: string, fallback: number): number => {
    const index = args.indexOf(name);
    if (index < 0) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} takes an integer`);
    return parsed;
  };
  const dirIndex = args.indexOf('--dir');
  return {
    messages: value('--messages', 1_000_000), batch: value('--batch', 1_000),
    peerBatch: value('--peer-batch', 100), durationMs: value('--duration', 5_000),
    dir: dirIndex < 0 ? undefined : args[dirIndex + 1],
  };
}

const valueText = 'x'.repeat(92);

function message(i: number): string {
  return `${String(i).padStart(7, '0')}${valueText}`;
}

/** Runs kcat to its end; resolves with the lines it printed (one per message consumed). */
function runKcat(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(lines);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${errors.slice(0, 500)}`));
    });
  });
}

/** kcat consuming to the end, which must print one offset per message produced. */
async function kcatConsume(bootstrap: string, topic: string, messages: number): Promise<void> {
  const read = await runKcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning',
    '-e', '-q', '-f', '%o\\n']);
  if (read !== messages) throw new Error(`kcat read ${read} of ${messages} messages`);
}

/** `kcat -G`: librdkafka's balanced consumer in a group of its own, reading to the end. */
async function kcatGroupConsume(bootstrap: string, topic: string, messages: number):
  Promise<void> {
  const read = await runKcat(['-b', bootstrap, '-G', `bench-kcat-${topic}`,
    '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%o\\n', topic]);
  if (read !== messages) throw new Error(`kcat -G read ${read} of ${messages} messages`);
}

/**
 * A group consumer of `broker` (embedded or `Broker.connect()`: the same code) reading the
 * topic to the end with `eachBatch`, touching each value.
 */
async function groupConsume(broker: Broker | RemoteBroker, topic: string, messages: number,
  groupId: string): Promise<void> {
  const consumer = broker.consumer({ groupId, fromBeginning: true });
  await consumer.subscribe(topic);
  let seen = 0;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachBatch: (batch) => {
        for (const message of batch.messages) bytes += message.value?.byteLength ?? 0;
        seen += batch.messages.length;
        if (seen >= messages) resolve();
      },
    }).catch(reject);
  });
  await consumer.close();
  if (seen !== messages || bytes === 0) {
    throw new Error(`${groupId} read ${seen} of ${messages} messages`);
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * The messages of a run cut into batches, made before the clock starts: kcat reads a file made
 * beforehand, so the Node paths must not pay for formatting and encoding in their figure.
 */
function batchesOf<T>(options: Options, make: (index: number) => T): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < options.messages; start += options.batch) {
    batches.push(Array.from({ length: Math.min(options.batch, options.messages - start) },
      (_, i) => make(start + i)));
  }
  return batches;
}

type KafkajsBatch = Array<{ value: string; partition: number }>;
type EmbeddedBatch = Array<{ value: Uint8Array; partition: number }>;

async function kafkajsProduce(bootstrap: string, topic: string, batches: KafkajsBatch[],
  acks: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  for (const messages of batches) {
    const sending = producer.send({ topic, acks, messages });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.disconnect();
}

async function embeddedProduce(broker: Broker, topic: string, batches: EmbeddedBatch[],
  acks: 1 | 'all'): Promise<void> {
  const producer = broker.producer({ acks, lingerMs: 1 });
  const pending: Array<Promise<unknown>> = [];
  for (const messages of batches) {
    pending.push(producer.sendBatch(topic, messages));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await producer.close();
}

/** `Broker.connect()`: the same producer API as embedded, to the door over the network. */
async function connectProduce(bootstrap: string, topic: string, batches: EmbeddedBatch[],
  acks: 1 | 'all'): Promise<void> {
  const remote = await Broker.connect({ brokers: [bootstrap], clientId: 'bench' });
  const producer = remote.producer({ acks, lingerMs: 1 });
  const pending: Array<Promise<unknown>> = [];
  for (const messages of batches) {
    pending.push(producer.sendBatch(topic, messages));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await remote.close();
}

const connectSystem = 'mamba-connect';
const kcatGroupSystem = 'door-kcat-group';

const doorDurability: Record<'1' | 'all', string> = {
  '1': 'acks 1 through the door: in the mapped segment (page cache) when acknowledged',
  'all': 'acks all through the door: msync\'d to disk before acknowledging',
};
const embeddedDurability: Record<'1' | 'all', string> = {
  '1': 'acks 1: in the mapped segment (page cache) when acknowledged',
  'all': 'acks all: msync\'d to disk before acknowledging',
};

/** Runs `work` and makes its row: ok with the rate, or failed with the error's message. */
async function counted(scenario: Scenario, system: CountedSystem, messages: number,
  work: () => Promise<unknown>): Promise<ScenarioResult> {
  let result: ScenarioResult;
  try {
    result = countedResult(scenario, system, messages, await timed(work));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    result = notRunResult(scenario.name, system, 'failed', reason);
  }
  console.log(`${scenario.name} · ${system.name}: ` + (result.status === 'ok'
    ? `${Math.round(result.messagesPerSec).toLocaleString('en-US')} msgs/s`
    : `${result.status} (${result.reason})`));
  return result;
}

/** The door and embedded Mamba: one broker, a topic per run, every run counted. */
async function runDoor(options: Options, scenarios: KafkaScenarios, dir: string):
  Promise<ScenarioResult[]> {
  const broker = await Broker.open({ dataDir: dir, actors: 2 });
  const door = await broker.listen({ port: 0 });
  const bootstrap = `127.0.0.1:${door.address().port}`;
  const input = path.join(dir, 'messages.txt');
  fs.writeFileSync(input, Array.from({ length: options.messages }, (_, i) => message(i))
    .join('\n') + '\n');
  const encoder = new TextEncoder();
  const kafkajsBatches = batchesOf(options, (i) => ({ value: message(i), partition: 0 }));
  const embeddedBatches = batchesOf(options,
    (i) => ({ value: encoder.encode(message(i)), partition: 0 }));
  const results: ScenarioResult[] = [];
  const n = options.messages;
  try {
    for (const acks of ['1', 'all'] as const) {
      const scenario = scenarios.produce[acks];
      const level = acks === 'all' ? 'all' : 1;
      const system = (name: string, durability: string): CountedSystem =>
        ({ name, acks: level, durability });
      await broker.createTopic(`kcat-${acks}`, { partitions: 1 });
      results.push(await counted(scenario, system(kcatSystem, doorDurability[acks]), n, () =>
        runKcat(['-b', bootstrap, '-P', '-t', `kcat-${acks}`, '-p', '0', '-l', input,
          '-X', `acks=${acks === 'all' ? -1 : 1}`, '-X', 'linger.ms=5',
          '-X', 'batch.num.messages=10000'])));
      await broker.createTopic(`kafkajs-${acks}`, { partitions: 1 });
      results.push(await counted(scenario, system(kafkajsSystem, doorDurability[acks]), n, () =>
        kafkajsProduce(bootstrap, `kafkajs-${acks}`, kafkajsBatches, acks === 'all' ? -1 : 1)));
      await broker.createTopic(`embedded-${acks}`, { partitions: 1 });
      const embedded = await counted(scenario, system(embeddedSystem, embeddedDurability[acks]),
        n, () => embeddedProduce(broker, `embedded-${acks}`, embeddedBatches, level));
      results.push(embedded);
      await broker.createTopic(`connect-${acks}`, { partitions: 1 });
      const remote = await counted(scenario, system(connectSystem, doorDurability[acks]), n,
        () => connectProduce(bootstrap, `connect-${acks}`, embeddedBatches, level));
      results.push(remote);
      if (remote.status === 'ok' && embedded.status === 'ok') {
        console.log(`Broker.connect ÷ embedded at acks ${acks}: ` +
          `${(remote.messagesPerSec / embedded.messagesPerSec).toFixed(2)}`);
      }
    }
    const reader = (name: string, durability: string): CountedSystem =>
      ({ name, acks: 1, durability });
    results.push(await counted(scenarios.consume,
      reader(kcatSystem, 'reads the mapped segments through the door'), n,
      () => kcatConsume(bootstrap, 'kcat-1', n)));
    const kcatGroup = await counted(scenarios.consume,
      reader(kcatGroupSystem, 'a consumer group through the door\'s group coordinator'), n,
      () => kcatGroupConsume(bootstrap, 'kcat-1', n));
    results.push(kcatGroup);
    const embedded = await counted(scenarios.consume,
      reader(embeddedSystem, 'an embedded group consumer reading its own mappings'), n,
      () => groupConsume(broker, 'kcat-1', n, 'bench-embedded'));
    results.push(embedded);
    const remote = await Broker.connect({ brokers: [bootstrap], clientId: 'bench' });
    try {
      const connected = await counted(scenarios.consume,
        reader(connectSystem, 'a Broker.connect() group consumer through the door'), n,
        () => groupConsume(remote, 'kcat-1', n, 'bench-connect'));
      results.push(connected);
      for (const row of [kcatGroup, connected]) {
        if (row.status === 'ok' && embedded.status === 'ok') {
          console.log(`${row.system} consume ÷ embedded group consumer: ` +
            `${(row.messagesPerSec / embedded.messagesPerSec).toFixed(2)}`);
        }
      }
    } finally {
      await remote.close();
    }
  } finally {
    await broker.close();
  }
  return results;
}

/** The peers on the harness, at each acks level they have; skipped with a reason if down. */
async function runPeers(scenarios: KafkaScenarios): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const acks of ['1', 'all'] as const) {
    const scenario = scenarios.produce[acks];
    for (const factory of peerFactories) {
      const system = factory.create(scenario.acks);
      const result = system === undefined
        ? notRunResult(scenario.name, { name: factory.name, acks: scenario.acks,
          durability: 'n/a' }, 'skipped', `has no configuration at ${acksLabel(scenario.acks)}`)
        : await runScenario(system, scenario);
      console.log(`${scenario.name} · ${result.system}: ` + (result.status === 'ok'
        ? `${Math.round(result.messagesPerSec).toLocaleString('en-US')} msgs/s`
        : `${result.status} (${result.reason})`));
      results.push(result);
    }
  }
  return results;
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  const startedAt = new Date().toISOString();
  const loadAverageStart = os.loadavg();
  const scenarios = kafkaScenarios({ messages: options.messages, batch: options.peerBatch,
    durationMs: options.durationMs, warmupMs: 1000 });
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-kafka-'));
  const results: ScenarioResult[] = [];
  try {
    results.push(...await runDoor(options, scenarios, dir));
  } finally {
    if (options.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
  results.push(...await runPeers(scenarios));
  const ordered = [scenarios.produce['1'], scenarios.produce.all, scenarios.consume];
  const notes = [
    `door and embedded: ${options.messages} messages per run, counted from connect to the ` +
      'last acknowledgement (no per-batch latency), messages made before the clock starts; ' +
      'one broker with 2 actors',
    'kcat: librdkafka reading the messages from a file (-l, linger.ms=5, ' +
      `batch.num.messages=10000); kafkajs and embedded: batches of ${options.batch}, ` +
      'kafkajs 8 in flight, embedded and Broker.connect (mamba-connect, the same producer API ' +
      'over the door) 16',
    `peers: harness runs of ${options.durationMs} ms after 1 s of warm-up, batches of ` +
      `${options.peerBatch}, 8 in flight (a Redis batch is one pipeline of XADDs)`,
    'ratios in the table: the first system of each scenario (door-kcat) ÷ row',
    ...results.filter((row) => row.status !== 'ok').map((row) =>
      `${row.system} ${acksLabel(row.acks)}: ${row.status}, ${row.reason}`),
  ];
  const targets = kafkaTargets(scenarios, results);
  const report: SuiteReport = {
    suite: 'kafka', startedAt, machine: machineInfo(), scenarios: ordered,
    results: ordered.flatMap((scenario) => results.filter((row) => row.scenario === scenario.name)),
    notes, targets, details: { loadAverageStart, loadAverageEnd: os.loadavg() },
  };
  console.log(`\n${renderTable(report)}`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\n${markdownTable(scenarios, report.results)}`);
  console.log(`\n${renderTargetChecks(targets, 'targets (issue 11)')}`);
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
  console.log(`\nload average (1, 5, 15 min) at start: ${load(loadAverageStart)}; ` +
    `at end: ${load(os.loadavg())}`);
  const files = await writeReportFiles(report, packageRoot());
  console.log(`\nwrote ${path.relative(process.cwd(), files.jsonPath)} and ` +
    `${path.relative(process.cwd(), files.chartPath)}`);
}
