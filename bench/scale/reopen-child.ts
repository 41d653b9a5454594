/**
 * The reopen side of the scale suite's recovery figures, run as a child process of its own so
 * that its memory figures are those of a broker that only reopened the log (the parent, which
 * wrote the log through a mapping, has all of it resident):
 *
 *   node dist/bench/scale/reopen-child.js <dataDir> <topic>
 *
 * Prints one JSON line (`ReopenFigures`) on stdout: the time `Broker.open` took (every actor
 * started, every partition recovered), the high watermark it recovered, and the process's RSS
 * right after the open and its peak over the whole child. On Linux the RSS after the open is
 * also split into anonymous memory (heaps, buffers: what must stay flat) and file-backed pages
 * (mapped segments the kernel may drop at any time, which count in RSS while resident).
 */
import fs from 'node:fs';
import { Broker } from '../../src/index.js';
import { nowNs } from '../harness/clock.js';

export interface ReopenFigures {
  readonly openMs: number;
  readonly highWatermark: number;
  readonly rssAfterOpenBytes: number;
  /** `RssAnon` of /proc/self/status after the open; -1 where there is no such file. */
  readonly rssAnonBytes: number;
  /** `RssFile` of /proc/self/status after the open; -1 where there is no such file. */
  readonly rssFileBytes: number;
  readonly peakRssBytes: number;
}

/** A `kB` field of /proc/self/status in bytes, or -1 (not Linux, or no such field). */
function procStatusBytes(field: string): number {
  let status: string;
  try {
    status = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return -1;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match === null ? -1 : Number(match[1]) * 1024;
}

async function reopen(dataDir: string, topic: string): Promise<ReopenFigures> {
  const startNs = nowNs();
  const broker = await Broker.open({ dataDir, actors: 1 });
  const openMs = (nowNs() - startNs) / 1e6;
  try {
    const rssAfterOpenBytes = process.memoryUsage.rss();
    const rssAnonBytes = procStatusBytes('RssAnon');
    const rssFileBytes = procStatusBytes('RssFile');
    const description = await broker.describeTopic(topic);
    const highWatermark = description.partitions
      .reduce((sum, partition) => sum + partition.highWatermark, 0);
    return {
      openMs, highWatermark, rssAfterOpenBytes, rssAnonBytes, rssFileBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    await broker.close();
  }
}

const [dataDir, topic] = process.argv.slice(2);
if (dataDir === undefined || topic === undefined) {
  console.error('usage: reopen-child.js <dataDir> <topic>');
  process.exitCode = 2;
} else {
  reopen(dataDir, topic).then(
    (figures) => { process.stdout.write(`${JSON.stringify(figures)}\n`); },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
