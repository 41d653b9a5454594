/**
 * The two security files of a data directory, `security/users.json` and `security/acls.json`:
 * read whole, replaced atomically (write temp, fsync, rename, fsync dir: segments' one routine),
 * and re-read by the door when another process (`mamba users add`, `mamba acls add`) replaced
 * them, which their identity (inode, size, modification time) tells.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MambaError } from '../errors.js';
import { MmapStorage } from '../segments/index.js';

export const SECURITY_DIR_NAME = 'security';
export const FILE_VERSION = 1;

export function securityPath(dataDir: string, fileName: string): string {
  return path.join(dataDir, SECURITY_DIR_NAME, fileName);
}

/** What tells one version of a file from another; '' when there is no file. */
export function fileIdentity(filePath: string): string {
  try {
    const stat = fs.statSync(filePath, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The parsed JSON of a security file, or undefined when there is none. */
export function readSecurityFile(filePath: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MambaError('IO_ERROR', `reading ${filePath} failed: ${(error as Error).message}`,
      { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidFile(filePath, (error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidFile(filePath, 'not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  if (record.version !== FILE_VERSION) {
    throw invalidFile(filePath, `version ${String(record.version)}, expected ${FILE_VERSION}`);
  }
  return record;
}

export function writeSecurityFile(filePath: string, content: object): void {
  fs.mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify({ version: FILE_VERSION, ...content }, null, 2)}\n`;
  new MmapStorage().writeFileAtomic(filePath, Buffer.from(text, 'utf8'));
  // Hashed credentials are still worth keeping from other users of the machine.
  fs.chmodSync(filePath, 0o600);
}

export function invalidFile(filePath: string, reason: string): MambaError {
  return new MambaError('INVALID_SECURITY_FILE', `${filePath} is not a valid security file: ` +
    reason, { detail: { path: filePath } });
}
