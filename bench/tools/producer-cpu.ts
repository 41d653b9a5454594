/**
 * The producer's own cost per message: one producer on the main thread → one partition,
 * 100-byte values, either `sendBatch` of 100 or 100 single `send` calls per request (in one
 * tick), `--window` requests in flight; prints msgs/s and the CPU time per message of the main
 * thread (Linux schedstat: the producer's thread alone) and of the whole process. On a shared
 * machine the CPU figures are the ones to compare between builds (alternate the runs).
 *
 *   npm run build && node dist/bench/tools/producer-cpu.js [--send] [--acks all]
 *     [--window 8] [--seconds 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../../src/index.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : process.argv[index + 1];
}

function threadCpuNs(): number {
  return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

async function main(): Promise<void> {
  const acks = option('--acks', '1') === 'all' ? 'all' : 1;
  const window = Number(option('--window', '8'));
  const durationMs = Number(option('--seconds', '3')) * 1000;
  const singles = process.argv.includes('--send');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-producer-cpu-'));
  const broker = await Broker.open({ dataDir, actors: 1 });
  try {
    await broker.createTopic('cpu', { partitions: 1, flush: acks === 'all' ? 'batch' : 'none' });
    const producer = broker.producer({ acks, lingerMs: 0, batchBytes: 512 * 1024 });
    const requests = Array.from({ length: 64 }, (_, r) => Array.from({ length: 100 },
      (_, i) => ({ value: new Uint8Array(100).fill((r + i) & 0xff) })));
    let acked = 0;
    let next = 0;
    let stop = false;
    const lane = async (): Promise<void> => {
      while (!stop) {
        const messages = requests[next++ & 63];
        if (singles) await Promise.all(messages.map((m) => producer.send('cpu', m)));
        else await producer.sendBatch('cpu', messages);
        acked += messages.length;
      }
    };
    const lanes = Array.from({ length: window }, lane);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [acked0, thread0, process0, start] =
      [acked, threadCpuNs(), process.cpuUsage(), performance.now()];
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const count = acked - acked0;
    const threadNs = threadCpuNs() - thread0;
    const processUsage = process.cpuUsage(process0);
    const seconds = (performance.now() - start) / 1000;
    stop = true;
    await Promise.all(lanes);
    await producer.close();
    console.log(`${singles ? 'send × 100' : 'sendBatch of 100'}, acks ${acks}, window ${window}: ` +
      `${(count / seconds / 1e6).toFixed(2)} M msgs/s; CPU per message: main thread ` +
      `${(threadNs / count).toFixed(0)} ns, process ` +
      `${((processUsage.user + processUsage.system) * 1000 / count).toFixed(0)} ns; ` +
      `load average ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
