/**
 * A secured `mamba serve` as a real process, set up with the CLI the README shows: `mamba users
 * add` (password on stdin), `mamba acls add`, then `serve` with a PLAINTEXT and a SASL_SSL
 * listener; kcat (librdkafka) produces and consumes over SASL_SSL with SCRAM-SHA-512 and is
 * refused with a wrong password, with a mechanism not offered, and on the plaintext listener
 * (User:ANONYMOUS has no grant). The credential file holds no password.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { makeCertificates, type TestCertificates } from '../helpers/certificates.js';
import { kcat, requireKcat } from './kcat.js';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');
let dir: string;
let certs: TestCertificates;
let child: ChildProcess | undefined;
let plainPort: number;
let securePort: number;

/** `mamba` as a process: only where stdin matters (the password), since each costs a start. */
function mambaProcess(args: string[], input?: string): { code: number | null; out: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8' });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

/** `mamba` in this process, its printed lines captured; a MambaError counts as exit code 2. */
async function mamba(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
  try {
    return { code: await main(args), out: lines.map((l) => `${l}\n`).join('') };
  } catch (error) {
    if ((error as { name?: string }).name !== 'MambaError') throw error;
    return { code: 2, out: (error as Error).message };
  } finally {
    log.mockRestore();
  }
}

beforeAll(async () => {
  requireKcat();
  dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'mamba-secured-'));
  certs = makeCertificates(fs.mkdtempSync(path.join(dir, 'certs-')));
  const dataDir = path.join(dir, 'data');
  expect(mambaProcess(['users', 'add', 'alice', '--data-dir', dataDir], 'alice-secret\n').code)
    .toBe(0);
  expect((await mamba(['users', 'add', 'bob', '--password', 'bob-secret', '--data-dir',
    dataDir])).code).toBe(0);
  expect((await mamba(['users', 'remove', 'bob', '--data-dir', dataDir])).code).toBe(0);
  expect((await mamba(['users', 'remove', 'bob', '--data-dir', dataDir])).code).toBe(2);
  expect((await mamba(['users', 'list', '--data-dir', dataDir])).out)
    .toBe('alice\tSCRAM-SHA-256,SCRAM-SHA-512\n');
  const grant = ['acls', 'add', '--data-dir', dataDir, '--allow-principal', 'User:alice'];
  expect((await mamba([...grant, '--operation', 'Write,Read,Create', '--topic', 'payments',
    '--resource-pattern-type', 'prefixed'])).code).toBe(0);
  expect((await mamba([...grant, '--operation', 'Read', '--group', '*'])).code).toBe(0);
  expect((await mamba(['acls', 'add', '--data-dir', dataDir, '--allow-principal', 'User:alice',
    '--operation', 'Fly', '--topic', 'x'])).code).toBe(2);
  expect((await mamba(['acls', 'list', '--data-dir', dataDir])).out.trim().split('\n')).toEqual([
    'allow User:alice Write topic:payments*', 'allow User:alice Read topic:payments*',
    'allow User:alice Create topic:payments*', 'allow User:alice Read group:*',
  ]);
  child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--actors', '1',
    '--listen', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    '--tls-cert', certs.server.certFile, '--tls-key', certs.server.keyFile,
    '--sasl-mechanisms', 'SCRAM-SHA-256,SCRAM-SHA-512'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const plain = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      const secure = /listening on SASL_SSL:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (plain !== null && secure !== null) {
        plainPort = Number(plain[1]);
        securePort = Number(secure[1]);
        resolve();
      }
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`mamba serve exited (${code}): ${output}`)));
  });
});

afterAll(() => {
  child?.kill('SIGKILL');
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

function secured(mechanism: string, password: string): string[] {
  return ['-b', `127.0.0.1:${securePort}`, '-X', 'security.protocol=SASL_SSL',
    '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice',
    '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${certs.caFile}`];
}

it('stores no password, only salted SCRAM keys', () => {
  const text = fs.readFileSync(path.join(dir, 'data', 'security', 'users.json'), 'utf8');
  expect(text).not.toMatch(/alice-secret|bob-secret/);
  expect(JSON.parse(text).users.alice['SCRAM-SHA-512']).toEqual({
    salt: expect.any(String), iterations: 4096, storedKey: expect.any(String),
    serverKey: expect.any(String),
  });
  expect(fs.statSync(path.join(dir, 'data', 'security', 'users.json')).mode & 0o077).toBe(0);
});

it('kcat produces and consumes over SASL_SSL with SCRAM-SHA-512', async () => {
  const produced = await kcat([...secured('SCRAM-SHA-512', 'alice-secret'), '-P',
    '-t', 'payments-eu'], 'p1\np2\np3\n');
  expect(produced.code, produced.stderr).toBe(0);
  const consumed = await kcat([...secured('SCRAM-SHA-512', 'alice-secret'), '-C',
    '-t', 'payments-eu', '-o', 'beginning', '-e', '-f', '%s\n']);
  expect(consumed.code, consumed.stderr).toBe(0);
  expect(consumed.stdout.split('\n').filter(Boolean).sort()).toEqual(['p1', 'p2', 'p3']);
});

it('kcat is refused: wrong password, PLAIN not offered, not granted, plaintext', async () => {
  const timeout = ['-X', 'message.timeout.ms=3000', '-X', 'socket.timeout.ms=3000'];
  const wrong = await kcat([...secured('SCRAM-SHA-512', 'nope'), ...timeout, '-L']);
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toMatch(/Authentication failed|SASL authentication error/i);
  const plain = await kcat([...secured('PLAIN', 'alice-secret'), ...timeout, '-L']);
  expect(plain.code).not.toBe(0);
  expect(plain.stderr).toMatch(/PLAIN|mechanism/i);
  const other = await kcat([...secured('SCRAM-SHA-256', 'alice-secret'), ...timeout, '-P',
    '-t', 'ledger'], 'x\n');
  expect(other.code).not.toBe(0);
  expect(other.stderr).toMatch(/authoriz/i);
  const anonymous = await kcat(['-b', `127.0.0.1:${plainPort}`, ...timeout, '-P',
    '-t', 'payments-eu'], 'x\n');
  expect(anonymous.code).not.toBe(0);
  expect(anonymous.stderr).toMatch(/authoriz/i);
});
