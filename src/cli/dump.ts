/**
 * `mamba dump`: the batches (and with --records the records) of a segment file, like Kafka's
 * DumpLogSegments: offsets, positions, timestamps, producer id/epoch/sequence, compression,
 * and a verdict per batch (CRC and structure). It only reads, so it works on the files of a
 * running broker too. Exit code 5 when a batch is invalid.
 */
import path from 'node:path';
import { MambaError } from '../errors.js';
import { initCompression } from '../records/index.js';
import { segmentFileName } from '../segments/index.js';
import {
  DataDirView, compressionName, dumpBatches, dumpMarker, dumpRecords, readWholeFile,
  verdictText,
  type DumpedBatch,
} from '../ops/index.js';
import { parseCommandLine } from './command-line.js';
import { ADMIN_EXIT_CODES, integerFlag, printJson, runAdmin } from './admin-cli.js';

const usage = `usage: mamba dump <segment .log file> [options]
       mamba dump --data-dir DIR --topic T --partition P [--segment BASE-OFFSET] [options]

  --records          print every record of each valid batch (compressed ones inflated)
  --max-batches N    stop after N batches per segment (default 1000000)
  --preview N        characters of key and value to show (default 40)
  --json             JSON on stdout

Each batch: base and last offset, record count, byte position and size, max timestamp,
producer id, epoch and base sequence, compression, the transactional and control bits, CRC,
and its verdict; a transaction marker (a control batch) also shows its type (endTxnMarker:
COMMIT or ABORT) and coordinator epoch. The walk ends at the first all-zero header (the end
of the data in a pre-sized segment).

${ADMIN_EXIT_CODES}`;

const flags = {
  'data-dir': { type: 'string' }, topic: { type: 'string' }, partition: { type: 'string' },
  segment: { type: 'string' }, records: { type: 'boolean' }, 'max-batches': { type: 'string' },
  preview: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof flags>>;

export function dumpCommand(args: string[]): Promise<number> {
  return runAdmin('dump', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(usage);
      return 0;
    }
    const file = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
    const values = parseCommandLine(file === undefined ? args : args.slice(1), flags);
    const files = file !== undefined ? [file] : segmentsOf(values);
    if (values.records === true) await initCompression();
    let invalid = 0;
    const dumps = files.map((segment) => {
      const dumped = dumpFile(segment, values);
      invalid += dumped.batches.filter((b) => b.verdict !== 'valid').length;
      return dumped;
    });
    if (values.json === true) printJson(dumps.length === 1 ? dumps[0] : dumps);
    return invalid > 0 ? 5 : 0;
  });
}

function segmentsOf(values: Values): string[] {
  if (values['data-dir'] === undefined || values.topic === undefined ||
    values.partition === undefined) {
    throw new MambaError('INVALID_CONFIG',
      'give a segment file, or --data-dir, --topic and --partition');
  }
  const view = DataDirView.open(values['data-dir']);
  const partition = integerFlag('--partition', values.partition, 0)!;
  view.topic(values.topic);
  const segment = integerFlag('--segment', values.segment, 0);
  const dir = view.partitionDir(values.topic, partition);
  if (segment !== undefined) return [path.join(dir, segmentFileName(segment, '.log'))];
  return view.partition(values.topic, partition).segments.map((s) => s.path);
}

interface FileDump {
  file: string;
  baseOffset: number;
  fileSizeBytes: number;
  batches: Array<Record<string, unknown> & { verdict: string }>;
  endBytePosition: number;
}

function dumpFile(file: string, values: Values): FileDump {
  const bytes = readWholeFile(file);
  const named = /^(\d{20})\.log$/.exec(path.basename(file));
  // A file not named by its base offset is checked against its first batch's offset.
  const baseOffset = named !== null ? Number(named[1]) :
    (bytes.length >= 8 ? Number(Buffer.from(bytes).readBigInt64BE(0)) : 0);
  const batches = dumpBatches(bytes, baseOffset,
    integerFlag('--max-batches', values['max-batches'], 1) ?? 1_000_000);
  const preview = integerFlag('--preview', values.preview, 0, 100_000) ?? 40;
  const last = batches.at(-1);
  const dump: FileDump = {
    file, baseOffset, fileSizeBytes: bytes.length,
    endBytePosition: last === undefined ? 0 : last.bytePosition + last.header.sizeBytes,
    batches: batches.map((batch) => ({
      ...batchFields(batch), verdict: batch.verdict,
      ...markerFields(bytes, batch),
      ...(values.records === true && batch.verdict === 'valid'
        ? { records: dumpRecords(bytes, batch, preview) } : {}),
    })),
  };
  if (values.json !== true) printDump(dump, batches);
  return dump;
}

/** A transaction marker's type and coordinator epoch (a control batch only). */
function markerFields(bytes: Uint8Array, batch: DumpedBatch): Record<string, unknown> {
  const marker = dumpMarker(bytes, batch);
  return marker === undefined ? {} : { marker: marker.type,
    coordinatorEpoch: marker.coordinatorEpoch };
}

function batchFields(batch: DumpedBatch): Record<string, unknown> {
  const h = batch.header;
  return {
    baseOffset: h.baseOffset, lastOffset: batch.lastOffset, count: h.recordCount,
    position: batch.bytePosition, sizeBytes: h.sizeBytes,
    maxTimestamp: h.maxTimestamp, producerId: Number(h.producerId),
    producerEpoch: h.producerEpoch, baseSequence: h.baseSequence,
    compression: compressionName(h.compression), transactional: h.transactional,
    control: h.control, crc: h.crc,
  };
}

function printDump(dump: FileDump, batches: DumpedBatch[]): void {
  console.log(`Dumping ${dump.file} (base offset ${dump.baseOffset}, ` +
    `${dump.fileSizeBytes} bytes)`);
  for (const [index, batch] of batches.entries()) {
    const h = batch.header;
    console.log(`baseOffset: ${h.baseOffset} lastOffset: ${batch.lastOffset} count: ` +
      `${h.recordCount} position: ${batch.bytePosition} size: ${h.sizeBytes} ` +
      `maxTimestamp: ${new Date(h.maxTimestamp).toISOString()} producerId: ${h.producerId} ` +
      `producerEpoch: ${h.producerEpoch} baseSequence: ${h.baseSequence} ` +
      `compression: ${compressionName(h.compression)} ` +
      `isTransactional: ${h.transactional} isControl: ${h.control} crc: 0x${h.crc.toString(16)
        .padStart(8, '0')} ${verdictText(batch.verdict)}`);
    const marker = dump.batches[index].marker as string | undefined;
    if (marker !== undefined) {
      console.log(`| offset: ${h.baseOffset} endTxnMarker: ${marker} coordinatorEpoch: ` +
        `${String(dump.batches[index].coordinatorEpoch)}`);
      continue;
    }
    const records = dump.batches[index].records as
      Array<{ offset: number; timestamp: number; keyPreview: string | null;
        valuePreview: string | null; valueSizeBytes: number; headerCount: number }> | undefined;
    for (const r of records ?? []) {
      console.log(`| offset: ${r.offset} timestamp: ${new Date(r.timestamp).toISOString()} ` +
        `headers: ${r.headerCount} valueSize: ${r.valueSizeBytes} key: ${r.keyPreview ?? 'null'} ` +
        `value: ${r.valuePreview ?? 'null'}`);
    }
  }
  const invalid = batches.filter((b) => b.verdict !== 'valid').length;
  console.log(`${batches.length} batches, ${invalid} invalid; data ends at byte ` +
    `${dump.endBytePosition} of ${dump.fileSizeBytes}`);
}
