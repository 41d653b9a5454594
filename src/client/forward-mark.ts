/**
 * The forward mark: a small file per (group, source partition) written just before a consumer
 * appends a record it forwards (to a dead-letter or a retry topic) and commits past its source.
 * It makes the forward and the commit one step across crashes (docs/CRASH-MODEL.md):
 *
 * | found on retrying source offset O               | what the step does                       |
 * | ----------------------------------------------- | ---------------------------------------- |
 * | no mark, or a mark for another offset or target | append (O was never appended: its mark   |
 * |                                                 | is written before the append, and a mark |
 * |                                                 | for a later offset means O was committed)|
 * | a mark for O, the record found after `fromOffset`| skip the append, commit past O          |
 * | a mark for O, no record after `fromOffset`      | append (the crash came before the append)|
 *
 * So the record is in the target or O is still to be retried, never neither (the append is
 * acknowledged at acks 'all' before the commit), and never twice: the search covers every
 * record the target partition got since the mark, and a record is recognised by its
 * `mamba.forward.source` header. The file is replaced atomically (write, fsync, rename, fsync
 * the directory), so a crash leaves the old mark or the new one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The directory in the data dir that holds the marks (no topic directory ends so). */
export const FORWARD_MARKS_DIR = 'forward-marks';

export interface ForwardMark {
  groupId: string;
  topic: string;
  partition: number;
  /** The source record being forwarded. */
  sourceOffset: number;
  target: string;
  targetPartition: number;
  /** The target partition's high-watermark before the append. */
  fromOffset: number;
}

function markPath(dataDir: string, groupId: string, topic: string, partition: number): string {
  const name = createHash('sha256').update(`${groupId}\u0000${topic}\u0000${partition}`)
    .digest('hex').slice(0, 40);
  return path.join(dataDir, FORWARD_MARKS_DIR, `${name}.json`);
}

export function readForwardMark(dataDir: string, groupId: string, topic: string,
  partition: number): ForwardMark | undefined {
  let text: string;
  try {
    text = fs.readFileSync(markPath(dataDir, groupId, topic, partition), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A mark is written whole (rename): a file that does not parse is not one of ours.
  const mark = JSON.parse(text) as ForwardMark;
  const same = mark.groupId === groupId && mark.topic === topic && mark.partition === partition;
  return same ? mark : undefined;
}

export function writeForwardMark(dataDir: string, mark: ForwardMark): void {
  const file = markPath(dataDir, mark.groupId, mark.topic, mark.partition);
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(mark));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
