import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

describe('public API types', () => {
  it('compile the uses in api-usage.ts and reject those marked @ts-expect-error', async () => {
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', project])
      .then(() => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });
});
