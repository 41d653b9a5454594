/**
 * The delay service's checkpoint: what it has delivered, and where each target partition's log
 * ended when it was taken. JSON with a CRC32C over its body (like the topic manifest), replaced
 * with the storage's one atomic routine, so a crash leaves the old checkpoint or the new one.
 *
 * ```
 * <dataDir>/__mamba_delayed.checkpoint
 *   {"crc32c": <u32>, "body": "<JSON of DelayCheckpoint>"}
 *   DelayCheckpoint: { version, lowOffset, bits (base64 of the DeliveredSet bitmap from
 *                      floor(lowOffset / 32) * 32 on), scanOffset, targets: { topic: [end…] },
 *                      writtenAtMs }
 * ```
 *
 * It is taken only while no delivery is in flight, so every delivery not in `bits` was appended
 * to its target at or after the end recorded in `targets`: recovery looks there for
 * deliveries made after the checkpoint (delay-service.ts, `recover`).
 */
import path from 'node:path';
import { MambaError } from '../errors.js';
import { crc32c } from '../records/index.js';
import type { SegmentStorage } from '../segments/index.js';

export const DELAY_CHECKPOINT_FILE_NAME = '__mamba_delayed.checkpoint';
const version = 1;

export interface DelayCheckpoint {
  lowOffset: number;
  bits: Uint32Array;
  /** The delayed log's end the service had read to: a shorter log was cut by a power loss. */
  scanOffset: number;
  /** Per target topic, each partition's log end (high-watermark) when this was taken. */
  targets: Record<string, number[]>;
  writtenAtMs: number;
}

export function checkpointPath(dataDir: string): string {
  return path.join(dataDir, DELAY_CHECKPOINT_FILE_NAME);
}

export function encodeCheckpoint(checkpoint: DelayCheckpoint): Uint8Array {
  const { bits, ...rest } = checkpoint;
  const body = JSON.stringify({
    version, ...rest,
    bits: Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength).toString('base64'),
  });
  const crc = crc32c(Buffer.from(body, 'utf8'));
  return Buffer.from(JSON.stringify({ crc32c: crc, body }), 'utf8');
}

/** The checkpoint in `dataDir`, undefined if there is none; CORRUPT_LOG if it is damaged. */
export function readCheckpoint(storage: SegmentStorage, dataDir: string):
DelayCheckpoint | undefined {
  const file = checkpointPath(dataDir);
  const bytes = storage.readFile(file);
  if (bytes === undefined) return undefined;
  const corrupt = (reason: string) => new MambaError('CORRUPT_LOG',
    `delayed-delivery checkpoint ${file} is corrupt: ${reason}`,
    { corruption: { path: file, bytePosition: 0, reason } });
  let envelope: { crc32c?: unknown; body?: unknown };
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof envelope;
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof envelope.body !== 'string') throw corrupt('no body');
  if (envelope.crc32c !== crc32c(Buffer.from(envelope.body, 'utf8'))) throw corrupt('checksum');
  const body = JSON.parse(envelope.body) as Omit<DelayCheckpoint, 'bits'> & {
    version: number; bits: string;
  };
  if (body.version !== version) throw corrupt(`version ${body.version}`);
  const raw = Buffer.from(body.bits, 'base64');
  const bits = new Uint32Array(Math.floor(raw.length / 4));
  Buffer.from(bits.buffer).set(raw.subarray(0, bits.length * 4));
  return { lowOffset: body.lowOffset, bits, scanOffset: body.scanOffset,
    targets: body.targets, writtenAtMs: body.writtenAtMs };
}
