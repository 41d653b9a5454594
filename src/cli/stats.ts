/**
 * `mamba stats`: per topic and partition, log start, end, records, segments and bytes; per
 * group, committed offsets and lag. From a data directory's files (read-only while a broker
 * runs), or, for the watermarks only, from a running broker at --bootstrap.
 */
import { parseCommandLine } from './command-line.js';
import type { DataDirView } from '../ops/index.js';
import { describeRemote } from './topics.js';
import {
  ADMIN_EXIT_CODES, connectBootstrap, printJson, printTable, runAdmin, targetOf, withReadView,
} from './admin-cli.js';

const usage = `usage: mamba stats (--data-dir DIR | --bootstrap host:port) [--json]

With --data-dir: every partition's log start, end offset, records, segments, data bytes and
bytes on disk, and every group's committed offsets and lag. With --bootstrap: log start and
high watermark per partition (sizes and groups are not served over the Kafka door yet).

${ADMIN_EXIT_CODES}`;

const flags = {
  'data-dir': { type: 'string' }, bootstrap: { type: 'string' }, json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function statsCommand(args: string[]): Promise<number> {
  return runAdmin('stats', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(usage);
      return 0;
    }
    const values = parseCommandLine(args, flags);
    const target = targetOf(values);
    if ('bootstrap' in target) {
      const client = await connectBootstrap(target.bootstrap);
      try {
        const topics = await describeRemote(client);
        const partitions = topics.flatMap((t) => t.partitions.map((p) => ({
          topic: t.topic, ...p, records: p.highWatermark - p.logStartOffset })));
        if (values.json === true) printJson({ partitions });
        else printTable(['TOPIC', 'PARTITION', 'LOG-START', 'HIGH-WATERMARK', 'RECORDS'],
          partitions.map((p) => [p.topic, p.partition, p.logStartOffset, p.highWatermark,
            p.records]));
        return 0;
      } finally {
        await client.close();
      }
    }
    return withReadView(target.dataDir, (view) => local(view, values.json === true));
  });
}

function local(view: DataDirView, json: boolean): number {
  const partitions = view.topics().flatMap((record) => view.partitions(record).map((p) => ({
    topic: p.topic, partition: p.partition, logStartOffset: p.logStartOffset,
    endOffset: p.endOffset, records: p.endOffset - p.logStartOffset,
    segments: p.segments.length, dataBytes: p.dataBytes, fileSizeBytes: p.fileSizeBytes,
    damage: p.damage,
  })));
  const groups = view.groups().flatMap((g) => g.offsets.map((o) => ({
    groupId: g.groupId, ...o })));
  const totals = {
    topics: view.topics().length, partitions: partitions.length,
    records: partitions.reduce((sum, p) => sum + p.records, 0),
    dataBytes: partitions.reduce((sum, p) => sum + p.dataBytes, 0),
    fileSizeBytes: partitions.reduce((sum, p) => sum + p.fileSizeBytes, 0),
    groups: new Set(groups.map((g) => g.groupId)).size,
    lag: groups.reduce((sum, g) => sum + (g.lag ?? 0), 0),
  };
  if (json) {
    printJson({ totals, partitions, groups });
    return 0;
  }
  printTable(['TOPIC', 'PARTITION', 'LOG-START', 'END-OFFSET', 'RECORDS', 'SEGMENTS',
    'DATA-BYTES', 'FILE-BYTES'], partitions.map((p) => [p.topic, p.partition,
    p.logStartOffset, p.endOffset, p.records, p.segments, p.dataBytes, p.fileSizeBytes]));
  if (groups.length > 0) {
    console.log('');
    printTable(['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG'],
      groups.map((g) => [g.groupId, g.topic, g.partition, g.committed, g.endOffset, g.lag]));
  }
  console.log(`\n${totals.topics} topics, ${totals.partitions} partitions, ${totals.records} ` +
    `records, ${totals.dataBytes} data bytes (${totals.fileSizeBytes} on disk), ` +
    `${totals.groups} groups, total lag ${totals.lag}`);
  for (const p of partitions.filter((q) => q.damage !== undefined)) {
    console.log(`damage in ${p.topic}-${p.partition}: ${p.damage}`);
  }
  return 0;
}
