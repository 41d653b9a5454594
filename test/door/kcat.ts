/** Running kcat (Debian's `kcat` package, librdkafka 2.x) from tests. */
import { spawn, spawnSync } from 'node:child_process';

/** Fails with how to install kcat when it is missing (CI installs it: .ci/run). */
export function requireKcat(): void {
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error('kcat is not installed; these tests need it: run ' +
      '`apt-get update && apt-get install -y kcat` (Debian/Ubuntu), as .ci/run does');
  }
}

export interface KcatResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kcat with `args`, writing `input` to its stdin; resolves when it exits. */
export function kcat(args: string[], input = '', timeoutMs = 60_000): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // kcat may exit without reading its stdin (a query, a consumer): the pipe is then closed,
    // and writing to it fails with EPIPE, which says nothing of the run (its exit code does).
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    if (input === '') child.stdin.end();
    else child.stdin.end(input);
  });
}
