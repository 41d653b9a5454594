/**
 * `kcat -G` (librdkafka 2.x's balanced consumer) against the door's group coordinator: two
 * members split a topic of 6 partitions, then one leaves (SIGTERM: kcat commits and sends
 * LeaveGroup) and the other takes every partition over with no record lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { Broker } from '../../src/index.js';
import { openBroker, produce } from '../consumer/helpers.js';
import { requireKcat } from './kcat.js';
import { waitFor } from './wait-for.js';

let broker: Broker | undefined;
const running = new Set<ChildProcess>();

beforeAll(() => requireKcat());

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  await broker?.close();
  broker = undefined;
});

interface KcatMember {
  child: ChildProcess;
  exited: Promise<void>;
  /** The partitions of the latest assignment kcat reported. */
  partitions: number[];
  values: string[];
}

/** Starts `kcat -G`; it reports each assignment on stderr and prints one value per line. */
function member(port: number, groupId: string, topic: string): KcatMember {
  const child = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-G', groupId, topic, '-u',
    '-f', '%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500',
    '-X', 'auto.commit.interval.ms=100', '-X', 'auto.offset.reset=earliest'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const result: KcatMember = {
    child, partitions: [], values: [],
    exited: new Promise((resolve) => child.once('exit', () => {
      running.delete(child);
      resolve();
    })),
  };
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    result.values.push(...lines);
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    const lines = err.split('\n');
    err = lines.pop()!;
    for (const line of lines) {
      // "% Group g rebalanced (memberid …): assigned: split [0], split [3]" / "revoked: …"
      if (/rebalanced.*: assigned:/.test(line)) {
        result.partitions = [...line.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
      } else if (/rebalanced.*: revoked:/.test(line)) {
        result.partitions = [];
      }
    }
  });
  return result;
}

it('two kcat -G members split 6 partitions; one leaves and the other takes over', async () => {
  broker = await openBroker();
  await broker.createTopic('split', { partitions: 6 });
  const { port } = (await broker.listen({ host: '127.0.0.1', port: 0 })).address();
  await produce(broker, 'split', 6, 30, 'a');
  const [first, second] = [member(port, 'splitters', 'split'),
    member(port, 'splitters', 'split')];
  await waitFor(() => first.partitions.length === 3 && second.partitions.length === 3, 30_000,
    'an even split');
  expect([...first.partitions, ...second.partitions].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  const before = Array.from({ length: 30 }, (_, i) => `a${i}`);
  const all = () => new Set([...first.values, ...second.values]);
  await waitFor(() => before.every((v) => all().has(v)), 30_000, 'the first records read');
  // Each member read only its own partitions' records (value aN is on partition N % 6).
  for (const m of [first, second]) {
    expect(m.values.every((v) => m.partitions.includes(Number(v.slice(1)) % 6))).toBe(true);
  }

  first.child.kill('SIGTERM');
  await first.exited;
  await waitFor(() => second.partitions.length === 6, 30_000, 'the takeover');
  await produce(broker, 'split', 6, 30, 'b');
  const after = Array.from({ length: 30 }, (_, i) => `b${i}`);
  await waitFor(() => after.every((v) => second.values.includes(v)), 30_000,
    'the later records read by the survivor');
  expect([...before, ...after].every((v) => all().has(v))).toBe(true);
}, 90_000);
