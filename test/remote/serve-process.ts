/**
 * `mamba serve` as a child process for the remote client's tests: started on a free port (or a
 * given one, to restart on the same address), resolved once it prints where it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');

export interface Served {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  output(): string;
  /** SIGTERM, then the exit. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every serve process a test left running (for afterEach / afterAll). */
export function killServed(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function serve(dataDir: string, options: { listen?: string; advertise?: string;
  extraArgs?: string[] } = {}): Promise<Served> {
  const args = [cli, 'serve', '--data-dir', dataDir, '--listen',
    options.listen ?? '127.0.0.1:0', '--actors', '1', '--partitions', '2'];
  if (options.advertise !== undefined) args.push('--advertise', options.advertise);
  args.push(...options.extraArgs ?? []);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env.SERVE_DEBUG) process.stderr.write(chunk);
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) {
        resolve({
          child, port: Number(match[1]), exited, output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`mamba serve exited (${code}): ${output}`)));
  });
}
