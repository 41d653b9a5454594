/**
 * `mamba serve --http --alerts` as a real process, run from the build (dist/): the operations
 * port serves the metrics, the dashboard page and its files (assets/ and uPlot from
 * node_modules, found from dist/), and a bad rules file stops it with exit code 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

function start(args: string[]): { child: ChildProcess; output: () => string;
  exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--actors', '1',
    ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return { child, output: () => output, exited };
}

it('serves metrics and the dashboard, then stops cleanly on SIGTERM', async () => {
  const rules = path.join(tempDir(), 'alerts.yaml');
  writeFileSync(rules, 'rules:\n  - { name: PartitionFailed, kind: partition-failed }\n');
  const served = start(['--data-dir', tempDir(), '--http', '127.0.0.1:0', '--alerts', rules]);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /http \(metrics, dashboard\) on (http:\/\/127\.0\.0\.1:\d+)\//
        .exec(served.output());
      if (match !== null) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 20);
    void served.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`mamba serve exited (${code}): ${served.output()}`));
    });
  });
  const metrics = await fetch(`${base}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('# TYPE mamba_actor_restarts_total counter');
  const page = await fetch(`${base}/`);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(await page.text()).toContain('<title>Mamba dashboard</title>');
  for (const file of ['/assets/dashboard.js', '/assets/dashboard.css',
    '/vendor/uplot/uPlot.iife.min.js', '/vendor/uplot/uPlot.min.css']) {
    const response = await fetch(`${base}${file}`);
    expect(response.status, file).toBe(200);
    expect((await response.arrayBuffer()).byteLength, file).toBeGreaterThan(100);
  }
  const snapshot = await (await fetch(`${base}/api/snapshot`)).json() as { actors: unknown[] };
  expect(snapshot.actors).toHaveLength(1);
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  expect(served.output()).toMatch(/mamba serve: stopped/);
});

it('exits 2 naming the rule when the alert rules are bad', async () => {
  const rules = path.join(tempDir(), 'alerts.yaml');
  writeFileSync(rules, 'rules:\n  - { name: Lag, kind: consumer-lag }\n');
  const served = start(['--data-dir', tempDir(), '--alerts', rules]);
  expect(await served.exited).toBe(2);
  expect(served.output()).toContain("alerts.yaml:2: rules[0].above (Lag): a consumer-lag rule " +
    "needs a threshold 'above' (INVALID_CONFIG)");
});
