/**
 * Actor restart downtime per crash mode, in one process (issue 15): a broker of 4 actors and 8
 * partitions under 8 `sendBatch` loops of 100 × 64 B, actors killed one at a time, 700 ms
 * apart, `killsPerMode` times each mode. Prints downtime p50 / p99 per mode (exit to ready,
 * backoff included), its phases' p50 (backoff, start: the standby's adoption or a fresh
 * worker's first answer, reopen, attach; ActorRestartEvent.phasesMs), how many restarts found
 * their standby loaded / loading / absent, and, per restart, each partition's recovery in ms.
 *
 *   node dist/bench/tools/restart-probe.js [modes] [killsPerMode] [standby: on|off]
 *   node dist/bench/tools/restart-probe.js terminate,throw,exit,hang,hang-wait 4 off
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker } from '../../src/index.js';
import type { ActorRestartEvent, CrashMode, RestartPhases } from '../../src/index.js';

type Mode = CrashMode | 'terminate';

interface Row {
  mode: Mode; downtimeMs: number; partitionsMs: number[]; phasesMs: RestartPhases;
  standby: ActorRestartEvent['standby'];
}

const modes = (process.argv[2] ?? 'terminate,throw,exit,hang,hang-wait').split(',') as Mode[];
const killsPerMode = Number(process.argv[3] ?? 4);
const standby = process.argv[4] !== 'off';

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The phases' p50 and the standby each restart found, as one line. */
function phaseLine(rows: Row[]): string {
  const names: Array<keyof RestartPhases> = ['backoffMs', 'startMs', 'reopenMs', 'attachMs'];
  const phases = names.map((name) =>
    `${name.replace('Ms', '')} ${quantile(rows.map((row) => row.phasesMs[name]), 0.5)}`);
  const count = (standby: Row['standby']) => rows.filter((row) => row.standby === standby).length;
  return `p50 ${phases.join(' ')} ms; standby loaded ${count('loaded')} ` +
    `loading ${count('loading')} none ${count('none')}`;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'restart-probe-'));
  const broker = await Broker.open(
    { dataDir, actors: 4, heartbeatDeadlineMs: 1000, restart: { standby } });
  await broker.createTopic('t', { partitions: 8, segmentBytes: 4 << 20 });
  const producer = broker.producer({ acks: 1 });
  let stopped = false;
  const value = Buffer.alloc(64, 1);
  const loops = Array.from({ length: 8 }, async (_, partition) => {
    const batch = Array.from({ length: 100 }, () => ({ value, partition }));
    while (!stopped) await producer.sendBatch('t', batch).catch(() => undefined);
  });
  const recovered = new Map<string, number[]>();
  broker.on('partition-recovered', (event) => {
    const key = `${event.actorIndex}:${event.epoch}`;
    recovered.set(key, [...(recovered.get(key) ?? []), Math.round(event.recoveryMs)]);
  });
  await sleep(2000);
  const rows: Row[] = [];
  for (let i = 0; i < killsPerMode; i++) {
    for (const [m, mode] of modes.entries()) {
      const restarted = new Promise<Row>((resolve) => broker.once('actor-restart', (event) =>
        resolve({
          mode, downtimeMs: event.downtimeMs, phasesMs: event.phasesMs, standby: event.standby,
          partitionsMs: recovered.get(`${event.actorIndex}:${event.epoch}`) ?? [],
        })));
      await broker.crashActor((i + m) % 4, mode);
      rows.push(await restarted);
      await sleep(700);
    }
  }
  stopped = true;
  await Promise.all(loops);
  await producer.close();
  await broker.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const mode of modes) {
    const own = rows.filter((row) => row.mode === mode);
    const downtimes = own.map((row) => row.downtimeMs);
    const partitions = JSON.stringify(own.map((row) => row.partitionsMs));
    console.log(`${mode.padEnd(10)} n ${own.length}  downtime p50 ${quantile(downtimes, 0.5)} ` +
      `p99 ${quantile(downtimes, 0.99)} ms  ${phaseLine(own)}  partitions ${partitions}`);
  }
  console.log(`all phases: ${phaseLine(rows)}`);
  const all = rows.map((row) => row.downtimeMs);
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`all n ${all.length}  downtime p50 ${quantile(all, 0.5)} ` +
    `p99 ${quantile(all, 0.99)} ms; standby ${standby ? 'on' : 'off'}; load ${load}`);
}

await main();
