/**
 * The swap that puts a cleaner's output in place of the segments it cleaned, crash-safe at every
 * step: a crash (or a power cut) anywhere leaves, once the log is opened again, either every old
 * segment of the round or every new one, never a mix and never a loss.
 *
 * ```
 *  step  who       what                                                   a crash after it →
 *  ----  --------  -----------------------------------------------------  --------------------
 *  1     cleaner   write <base>.log.cleaned + <base>.index.cleaned,       old (open unlinks the
 *                  sync each, then sync the directory                     .cleaned files)
 *  2     actor     check each cleaned file chains from its base offset    old
 *                  to the next segment's
 *  3     actor     write `clean-swap` atomically (temp, fsync, rename,    new: the marker is the
 *                  fsync dir) naming the base offsets: THE COMMIT POINT   commit; open finishes
 *  4     actor     rename each .index.cleaned over .index and each        new (open redoes what
 *                  .log.cleaned over .log; sync the directory             is left: idempotent)
 *  5     actor     unlink `clean-swap`; sync the directory                new
 *  6     actor     map the new segments in place of the old (between      —
 *                  appends: the actor is the log's one writer)
 * ```
 *
 * A rename replaces a name, not the bytes behind it: a consumer that mapped an old `.log` keeps
 * reading the old inode (it is unlinked, never truncated, DESIGN.md invariant 5) until it maps
 * the file again.
 *
 * The marker is a small JSON file with a CRC32C over its body, like the topic manifest. One that
 * fails its checksum cannot come from a torn write (it is replaced atomically), so it is
 * `CORRUPT_LOG`, never guessed at.
 */
import nodePath from 'node:path';
import { corruptLog } from '../errors.js';
import { crc32c } from '../records/index.js';
import {
  CLEANED_INDEX_SUFFIX, CLEANED_LOG_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, segmentFileName,
} from './segment.js';
import type { SegmentStorage } from './storage.js';

export const CLEAN_SWAP_FILE_NAME = 'clean-swap';

interface SwapMarkerBody {
  baseOffsets: number[];
}

/** Step 3: the commit point. Durable when it returns. */
export function writeSwapMarker(storage: SegmentStorage, dir: string, baseOffsets: number[]):
  void {
  const body = JSON.stringify({ baseOffsets } satisfies SwapMarkerBody);
  const text = JSON.stringify({ crc32c: crc32c(Buffer.from(body, 'utf8')), body });
  storage.writeFileAtomic(nodePath.join(dir, CLEAN_SWAP_FILE_NAME), Buffer.from(text, 'utf8'));
}

/** Steps 4 and 5; safe to run again after a crash part way (a name already moved is skipped). */
export function completeSwap(storage: SegmentStorage, dir: string, baseOffsets: number[]): void {
  for (const baseOffset of baseOffsets) {
    const moves: Array<[string, string]> = [
      [CLEANED_INDEX_SUFFIX, INDEX_SUFFIX], [CLEANED_LOG_SUFFIX, LOG_SUFFIX],
    ];
    for (const [from, to] of moves) {
      const fromPath = nodePath.join(dir, segmentFileName(baseOffset, from));
      if (storage.exists(fromPath)) {
        storage.rename(fromPath, nodePath.join(dir, segmentFileName(baseOffset, to)));
      }
    }
  }
  storage.syncDirectory(dir);
  storage.unlink(nodePath.join(dir, CLEAN_SWAP_FILE_NAME));
  storage.syncDirectory(dir);
}

/** What opening a log found of a clean the last process did not finish. */
export type InterruptedClean = 'none' | 'completed' | 'rolled-back';

/**
 * Run when a log opens, before its segments are listed: a committed swap (the marker is there)
 * is completed; the files of an uncommitted one are removed.
 */
export function finishInterruptedClean(storage: SegmentStorage, dir: string): InterruptedClean {
  let outcome: InterruptedClean = 'none';
  const markerPath = nodePath.join(dir, CLEAN_SWAP_FILE_NAME);
  if (storage.exists(markerPath)) {
    completeSwap(storage, dir, readSwapMarker(storage, markerPath));
    outcome = 'completed';
  }
  let removed = false;
  for (const name of storage.list(dir)) {
    if (name.endsWith(CLEANED_LOG_SUFFIX) || name.endsWith(CLEANED_INDEX_SUFFIX)) {
      storage.unlink(nodePath.join(dir, name));
      removed = true;
    }
  }
  if (removed && outcome === 'none') outcome = 'rolled-back';
  return outcome;
}

function readSwapMarker(storage: SegmentStorage, path: string): number[] {
  const bytes = storage.readFile(path) ?? new Uint8Array(0);
  const corrupt = (reason: string) => corruptLog({ path, bytePosition: 0, reason });
  let envelope: { crc32c?: unknown; body?: unknown };
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof envelope;
  } catch {
    throw corrupt('clean-swap marker is not JSON');
  }
  if (typeof envelope.body !== 'string' ||
    crc32c(Buffer.from(envelope.body, 'utf8')) !== envelope.crc32c) {
    throw corrupt('clean-swap marker fails its checksum');
  }
  const body = JSON.parse(envelope.body) as SwapMarkerBody;
  if (!Array.isArray(body.baseOffsets) ||
    !body.baseOffsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0)) {
    throw corrupt('clean-swap marker names no base offsets');
  }
  return body.baseOffsets;
}
