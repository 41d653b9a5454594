import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';

const madeInTest: string[] = [];
const madeInSuite: string[] = [];

/**
 * A fresh temporary directory, removed after the test that made it; one made outside a test
 * (in `beforeAll`, for a broker the whole file shares) is removed after the file's own
 * `afterAll` hooks closed that broker, never under it while it still writes.
 */
export function tempDir(prefix = 'mamba-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  (expect.getState().currentTestName === undefined ? madeInSuite : madeInTest).push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of madeInTest.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

// Registered before the test file's own hooks, so (after-hooks run in stack order) it runs last.
afterAll(() => {
  for (const dir of madeInSuite.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
