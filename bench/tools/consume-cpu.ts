/**
 * The consumer's own cost per record: fills one partition with `--records` records of 100 B
 * (with `--headers`, each with one `type` header), then reads them all `--rounds` times per
 * style (`eachBatch`, `eachMessage`, `iterator`, and `nocrc`: eachBatch with `checkCrcs: false`)
 * after one unmeasured eachBatch pass, as `npm run bench -- consume` does. Prints, per read,
 * records per second and records per CPU second of the process (the actor is parked while the
 * consumer reads, so the CPU is the consumer's thread and the garbage collector's helpers). On
 * a shared machine the CPU figures are the ones to compare between builds: run each build's
 * copy alternately. `--trace-gc` on the command line shows whether scavenges keep growing.
 *
 *   npm run build && node dist/bench/tools/consume-cpu.js [--records 2000000]
 *     [--modes eachBatch,eachMessage,iterator] [--rounds 3] [--headers]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker, type Consumer } from '../../src/index.js';

type Mode = 'eachBatch' | 'eachMessage' | 'iterator' | 'nocrc';
const MODES: readonly Mode[] = ['eachBatch', 'eachMessage', 'iterator', 'nocrc'];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : process.argv[index + 1];
}

async function fill(broker: Broker, records: number, headers: boolean): Promise<void> {
  await broker.createTopic('cpu', { partitions: 1, segmentBytes: 256 * 1024 * 1024 });
  const producer = broker.producer({ acks: 1, idempotent: false, batchBytes: 512 * 1024 });
  const value = new Uint8Array(100).fill(0x61);
  const type = new TextEncoder().encode('drop');
  const chunk = Array.from({ length: 5000 }, () =>
    (headers ? { value, headers: { type } } : { value }));
  const pending: Promise<unknown>[] = [];
  for (let sent = 0; sent < records; sent += chunk.length) {
    pending.push(producer.sendBatch('cpu', chunk.slice(0, Math.min(chunk.length,
      records - sent))));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await producer.close();
}

/** Reads every record once, touching each value (and header); returns [rate, CPU rate]. */
async function readAll(broker: Broker, records: number, mode: Mode, headers: boolean):
Promise<[number, number]> {
  const consumer: Consumer = broker.consumer({ fromBeginning: true, checkCrcs: mode !== 'nocrc' });
  await consumer.subscribe('cpu');
  let seen = 0;
  let bytes = 0;
  const startNs = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  if (mode === 'iterator') {
    for await (const m of consumer) {
      bytes += m.value!.byteLength + (headers ? m.headers.type.byteLength : 0);
      if (++seen === records) break;
    }
  } else {
    const done = (): void => { if (seen === records) void consumer.close(); };
    await consumer.run(mode === 'eachMessage'
      ? { eachMessage: (m) => {
        bytes += m.value!.byteLength + (headers ? m.headers.type.byteLength : 0);
        seen++;
        done();
      } }
      : { eachBatch: (batch) => {
        const messages = batch.messages;
        for (let i = 0; i < messages.length; i++) bytes += messages[i].value!.byteLength;
        seen += messages.length;
        done();
      } });
  }
  const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  const cpu = process.cpuUsage(startCpu);
  await consumer.close();
  if (seen !== records || bytes === 0) throw new Error(`read ${seen} of ${records} records`);
  return [records / seconds, records / ((cpu.user + cpu.system) / 1e6)];
}

async function main(): Promise<void> {
  const records = Number(option('--records', '2000000'));
  const rounds = Number(option('--rounds', '3'));
  const headers = process.argv.includes('--headers');
  const modes = option('--modes', 'eachBatch,eachMessage,iterator').split(',') as Mode[];
  for (const mode of modes) {
    if (!MODES.includes(mode)) throw new Error(`--modes takes ${MODES.join(', ')}`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-consume-cpu-'));
  const broker = await Broker.open({ dataDir, actors: 1 });
  try {
    await fill(broker, records, headers);
    await readAll(broker, records, 'eachBatch', headers);
    for (const mode of modes) {
      const rates: string[] = [];
      const cpuRates: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const [rate, cpuRate] = await readAll(broker, records, mode, headers);
        rates.push((rate / 1e6).toFixed(2));
        cpuRates.push((cpuRate / 1e6).toFixed(2));
      }
      console.log(`${mode.padEnd(12)} M records/s ${rates.join(' ')}   ` +
        `M records per CPU second ${cpuRates.join(' ')}`);
    }
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
