/**
 * `npm run bench -- transactions`: issue 16's transaction benchmark. Transactions of
 * `--records` (default 100) records spread over `--partitions` (default 4) partitions, each
 * `tx.sendBatch` then `tx.commit()`, one open transaction per producer, against the same
 * records sent without a transaction (idempotent, acks 'all': what a transaction's sends are)
 * by `producer.sendBatch` awaited batch by batch, in the same process on the same broker.
 * Rounds alternate the two modes (`--rounds`, default 3 each) so that a noisy machine hurts
 * both alike; the median round of each is reported, and the ratio transactional ÷ plain.
 *
 * A commit costs what the coordinator's two phases cost: a durable AddPartitions record, the
 * Prepare record, one durable marker per partition, the Complete record. The plain mode pays
 * one durable append per partition per batch; the ratio is the price of atomicity.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker, type Producer } from '../src/index.js';

export const help = [
  'usage: mamba bench transactions [--transactions N] [--records N] [--partitions N]',
  '                                [--producers N] [--rounds N]',
  '  --transactions  transactions (and plain batches) per producer per round (default 200)',
  '  --records       records per transaction / batch (default 100)',
  '  --partitions    partitions the records of one transaction spread over (default 4)',
  '  --producers     producers sending side by side, each its own transactions (default 1)',
  '  --rounds        rounds of each mode, alternated (default 3)',
].join('\n');

interface Options {
  transactions: number;
  records: number;
  partitions: number;
  producers: number;
  rounds: number;
}

const valueBytes = 100;

function parseOptions(args: string[]): Options {
  const options: Options = { transactions: 200, records: 100, partitions: 4, producers: 1,
    rounds: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '') as keyof Options;
    const value = Number(args[i + 1]);
    if (!(name in options) || !Number.isInteger(value) || value <= 0) {
      throw new Error(`mamba bench transactions: bad option ${args[i]} ${args[i + 1]}\n${help}`);
    }
    options[name] = value;
  }
  return options;
}

interface Round {
  seconds: number;
  batches: number;
  records: number;
  /** Per batch or transaction: from the first send to the commit (or the acks). */
  latenciesMs: number[];
}

function messagesOf(options: Options): Array<{ partition: number; value: Buffer }> {
  return Array.from({ length: options.records }, (_, i) => ({
    partition: i % options.partitions, value: Buffer.alloc(valueBytes, i & 0xff),
  }));
}

/** Each producer runs `options.transactions` steps one after another, timing each. */
async function round(producers: Producer[], options: Options,
  step: (producer: Producer) => Promise<unknown>): Promise<Round> {
  const latenciesMs: number[] = [];
  const startedMs = performance.now();
  await Promise.all(producers.map(async (producer) => {
    for (let n = 0; n < options.transactions; n++) {
      const beganMs = performance.now();
      await step(producer);
      latenciesMs.push(performance.now() - beganMs);
    }
  }));
  return finish(startedMs, latenciesMs, options);
}

function transactionalRound(producers: Producer[], topic: string, options: Options):
  Promise<Round> {
  const messages = messagesOf(options);
  return round(producers, options, async (producer) => {
    const tx = await producer.transaction();
    await tx.sendBatch(topic, messages);
    await tx.commit();
  });
}

function plainRound(producers: Producer[], topic: string, options: Options): Promise<Round> {
  const messages = messagesOf(options);
  return round(producers, options, (producer) => producer.sendBatch(topic, messages));
}

function finish(startedMs: number, latenciesMs: number[], options: Options): Round {
  const batches = options.transactions * options.producers;
  return {
    seconds: (performance.now() - startedMs) / 1000, batches,
    records: batches * options.records, latenciesMs,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(rounds: Round[]): Round {
  return [...rounds].sort((a, b) => a.seconds - b.seconds)[Math.floor(rounds.length / 2)];
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function describe(name: string, rounds: Round[], unit: 'commit' | 'batch'): string[] {
  const round = median(rounds);
  const perSecond = round.batches / round.seconds;
  return [
    `${name}: ${integer.format(perSecond)} ${unit === 'commit' ? 'commits' : 'batches'}/s, ` +
      `${integer.format(round.records / round.seconds)} records/s ` +
      `(median of ${rounds.length} rounds: ` +
      `${rounds.map((r) => r.seconds.toFixed(2)).join(', ')} s)`,
    `  per ${unit}: p50 ${percentile(round.latenciesMs, 50).toFixed(2)} ms, ` +
      `p99 ${percentile(round.latenciesMs, 99).toFixed(2)} ms`,
  ];
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-txn-'));
  const broker = await Broker.open({ dataDir: dir });
  try {
    const topic = 'bench-transactions';
    await broker.createTopic(topic, { partitions: options.partitions });
    const transactional = Array.from({ length: options.producers }, (_, i) =>
      broker.producer({ transactionalId: `bench-${i}`, lingerMs: 0 }));
    const plain = Array.from({ length: options.producers }, () =>
      broker.producer({ acks: 'all', idempotent: true, lingerMs: 0 }));
    // One of each first, unmeasured: the coordinator's log topic and the producer ids.
    await transactionalRound(transactional, topic, { ...options, transactions: 5 });
    await plainRound(plain, topic, { ...options, transactions: 5 });
    const txRounds: Round[] = [];
    const plainRounds: Round[] = [];
    for (let r = 0; r < options.rounds; r++) {
      txRounds.push(await transactionalRound(transactional, topic, options));
      plainRounds.push(await plainRound(plain, topic, options));
    }
    const tx = median(txRounds);
    const base = median(plainRounds);
    const ratio = (tx.records / tx.seconds) / (base.records / base.seconds);
    console.log([
      '# mamba bench transactions',
      `${options.transactions} transactions of ${options.records} records (${valueBytes} B) over ` +
        `${options.partitions} partitions per producer per round, ${options.producers} ` +
        `producer(s), ${options.rounds} rounds each, alternated; ${os.cpus().length} cores, ` +
        `load ${os.loadavg()[0].toFixed(1)}`,
      ...describe('transactional (tx.sendBatch + tx.commit)', txRounds, 'commit'),
      ...describe('plain (idempotent, acks all, sendBatch awaited)', plainRounds, 'batch'),
      `ratio transactional / plain records/s: ${ratio.toFixed(2)}`,
    ].join('\n'));
  } finally {
    await broker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
