/**
 * A little disk space held back for the broker's own metadata (issue 10 gap 5).
 *
 * On a full disk, the way out is to delete something — a topic, say — and deleting a topic
 * means rewriting the topic manifest, which needs a new block for its temp file: without one,
 * `deleteTopic` would fail with DISK_FULL exactly when it is needed. So the broker keeps a
 * zero-filled file of `reserveSizeBytes` in the data directory. A metadata write that fails for
 * want of space deletes the reserve and tries once more; the reserve is made again at the next
 * metadata write (or open) that finds room for it.
 *
 * ```
 * <dataDir>/space.reserve   reserveSizeBytes of zeros, never read
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { MambaError } from '../errors.js';
import { MiB } from '../constants.js';

export const RESERVE_FILE_NAME = 'space.reserve';
const reserveSizeBytes = 1 * MiB;

export class SpaceReserve {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, RESERVE_FILE_NAME);
    this.replenish();
  }

  /** Runs a metadata write; if the disk is full, frees the reserve and runs it once more. */
  write<T>(run: () => T): T {
    try {
      const result = run();
      this.replenish();
      return result;
    } catch (error) {
      if (!MambaError.is(error, 'DISK_FULL') || !this.release()) throw error;
      return run();
    }
  }

  /** Whether the reserve is in place, whole. */
  get held(): boolean {
    try {
      return fs.statSync(this.file).size === reserveSizeBytes;
    } catch {
      return false;
    }
  }

  /** Makes the reserve if it is missing; quietly leaves it missing if there is no room. */
  private replenish(): void {
    if (this.held) return;
    const temp = `${this.file}.tmp`;
    try {
      fs.writeFileSync(temp, Buffer.alloc(reserveSizeBytes));
      fs.renameSync(temp, this.file);
    } catch {
      // No room (or no permission) for a reserve now: the next metadata write tries again.
      fs.rmSync(temp, { force: true });
    }
  }

  /** Deletes the reserve; false if there was none to free. */
  private release(): boolean {
    if (!this.held) return false;
    fs.rmSync(this.file, { force: true });
    return true;
  }
}
