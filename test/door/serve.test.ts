/**
 * `mamba serve` as a real process: it prints where it listens, stops cleanly on SIGTERM, and
 * when it is SIGKILLed while kcat produces with acks=all (idempotent), the restarted broker
 * holds every acknowledged message exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { kcat, requireKcat } from './kcat.js';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const running = new Set<ChildProcess>();

beforeAll(() => requireKcat());

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

interface Served {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `mamba serve` and resolves once it printed `listening on HOST:PORT`. */
function serve(dataDir: string, listen = '127.0.0.1:0'): Promise<Served> {
  const child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--listen', listen,
    '--actors', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) {
        resolve({ child, port: Number(match[1]), exited, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`mamba serve exited (${code}): ${output}`)));
  });
}

it('prints where it listens and exits 0 on SIGTERM after a clean shutdown', async () => {
  const served = await serve(tempDir());
  const produced = await kcat(['-b', `127.0.0.1:${served.port}`, '-P', '-t', 'sig'], 'one\n');
  expect(produced.code, produced.stderr).toBe(0);
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  expect(served.output()).toMatch(/mamba serve: stopped/);
});

it('keeps every message kcat had acknowledged (acks=all) once across a SIGKILL', async () => {
  const dataDir = tempDir();
  let served = await serve(dataDir);
  const bootstrap = `127.0.0.1:${served.port}`;
  // kcat gives up when its only broker is down, so each run sends one slice of messages: a
  // run that exits 0 had every message of its slice acknowledged. The broker is SIGKILLed
  // while a run is in flight; that run's messages count as unacknowledged.
  const sliceSize = 200;
  const runs = 12;
  const killRun = 5;
  const acknowledged: string[] = [];
  for (let run = 0; run < runs; run++) {
    const slice = Array.from({ length: sliceSize }, (_, i) => `m-${run}-${i}`);
    const producing = kcat(['-b', bootstrap, '-P', '-t', 'kill', '-X', 'acks=all',
      '-X', 'message.timeout.ms=5000', '-X', 'linger.ms=2'], `${slice.join('\n')}\n`);
    if (run === killRun) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      served.child.kill('SIGKILL');
      await served.exited;
      const result = await producing;
      if (result.code === 0) acknowledged.push(...slice);
      served = await serve(dataDir, bootstrap);
      continue;
    }
    const result = await producing;
    expect(result.code, result.stderr).toBe(0);
    acknowledged.push(...slice);
  }
  const seen = new Map<string, number>();
  for (const partition of [0, 1, 2]) {
    const consumed = await kcat(['-b', bootstrap, '-C', '-t', 'kill', '-p', String(partition),
      '-o', 'beginning', '-e', '-f', '%s\\n']);
    expect(consumed.code, consumed.stderr).toBe(0);
    for (const line of consumed.stdout.split('\n').filter((l) => l.length > 0)) {
      seen.set(line, (seen.get(line) ?? 0) + 1);
    }
  }
  const missing = acknowledged.filter((message) => !seen.has(message));
  const duplicated = acknowledged.filter((message) => (seen.get(message) ?? 0) > 1);
  expect(missing).toEqual([]);
  expect(duplicated).toEqual([]);
}, 180_000);
