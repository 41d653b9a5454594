/**
 * `npm run bench -- kafka`: 100-byte messages through the Kafka door, beside Mamba embedded, in
 * the same run on the same machine:
 *
 * - kcat (librdkafka) producing with acks 1 and all, and consuming to the end;
 * - kafkajs producing with acks 1 and all (batches of `--batch` messages, several in flight);
 * - the embedded producer (main thread, `sendBatch`) with acks 1 and all: the ratio the door
 *   reaches against it is reported.
 *
 * Every figure is messages per second over the whole run (connect to last acknowledgement).
 * The Redis/NATS peers of `npm run bench -- peers` are not run here.
 *
 * Options: --messages N (1,000,000)  --batch N (1,000)  --dir PATH
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../src/index.js';

interface Options {
  messages: number;
  batch: number;
  dir: string | undefined;
}

function parse(args: string[]): Options {
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
    dir: dirIndex < 0 ? undefined : args[dirIndex + 1],
  };
}

const valueText = 'x'.repeat(92);

function message(i: number): string {
  return `${String(i).padStart(7, '0')}${valueText}`;
}

function runKcat(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(0);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${errors.slice(0, 500)}`));
    });
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function kafkajsProduce(bootstrap: string, topic: string, options: Options,
  acks: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  for (let start = 0; start < options.messages; start += options.batch) {
    const messages = Array.from({ length: Math.min(options.batch, options.messages - start) },
      (_, i) => ({ value: message(start + i), partition: 0 }));
    const sending = producer.send({ topic, acks, messages });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.disconnect();
}

async function embeddedProduce(broker: Broker, topic: string, options: Options,
  acks: 1 | 'all'): Promise<void> {
  const producer = broker.producer({ acks, lingerMs: 1 });
  const encoder = new TextEncoder();
  const pending: Array<Promise<unknown>> = [];
  for (let start = 0; start < options.messages; start += options.batch) {
    const messages = Array.from({ length: Math.min(options.batch, options.messages - start) },
      (_, i) => ({ value: encoder.encode(message(start + i)), partition: 0 }));
    pending.push(producer.sendBatch(topic, messages));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await producer.close();
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-kafka-'));
  const broker = await Broker.open({ dataDir: dir, actors: 2 });
  const door = await broker.listen({ port: 0 });
  const bootstrap = `127.0.0.1:${door.address().port}`;
  const input = path.join(dir, 'messages.txt');
  fs.writeFileSync(input, Array.from({ length: options.messages }, (_, i) => message(i))
    .join('\n') + '\n');
  const rows: Array<[string, number]> = [];
  const rate = (ms: number) => options.messages / (ms / 1000);
  try {
    for (const acks of ['1', 'all'] as const) {
      const embedded = `embedded-${acks}`;
      await broker.createTopic(embedded, { partitions: 1 });
      rows.push([`embedded producer, acks ${acks}`, rate(await timed(() =>
        embeddedProduce(broker, embedded, options, acks === 'all' ? 'all' : 1)))]);
      const viaKcat = `kcat-${acks}`;
      await broker.createTopic(viaKcat, { partitions: 1 });
      rows.push([`kcat producer, acks ${acks}`, rate(await timed(() => runKcat(['-b', bootstrap,
        '-P', '-t', viaKcat, '-p', '0', '-l', input, '-X', `acks=${acks === 'all' ? -1 : 1}`,
        '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000']))) ]);
      const viaKafkajs = `kafkajs-${acks}`;
      await broker.createTopic(viaKafkajs, { partitions: 1 });
      rows.push([`kafkajs producer, acks ${acks}`, rate(await timed(() =>
        kafkajsProduce(bootstrap, viaKafkajs, options, acks === 'all' ? -1 : 1)))]);
    }
    rows.push(['kcat consumer (to the end)', rate(await timed(() => runKcat(['-b', bootstrap,
      '-C', '-t', 'kcat-1', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\\n'])))]);
  } finally {
    await broker.close();
    if (options.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
  const embeddedRate = (acks: string) => rows.find(([name]) => name ===
    `embedded producer, acks ${acks}`)![1];
  console.log(`kafka: ${options.messages} messages of 100 bytes, one partition, same run\n`);
  console.log('| path | msgs/s | vs embedded |\n| --- | ---: | ---: |');
  for (const [name, value] of rows) {
    const acks = /acks (1|all)/.exec(name)?.[1];
    const ratio = acks === undefined || name.startsWith('embedded') ? '' :
      `${(value / embeddedRate(acks)).toFixed(2)}×`;
    console.log(`| ${name} | ${Math.round(value).toLocaleString('en-US')} | ${ratio} |`);
  }
}
