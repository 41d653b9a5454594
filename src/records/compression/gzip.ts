/** gzip (Kafka codec 1) from `node:zlib`: RFC 1952, as Kafka's clients write it. */
import zlib from 'node:zlib';
import { CODEC_ID } from '../batch-view.js';
import type { CompressionCodec } from './codec.js';

export const gzipCodec: CompressionCodec = {
  id: CODEC_ID.GZIP,
  name: 'gzip',
  compress(bytes: Uint8Array): Uint8Array {
    return zlib.gzipSync(bytes);
  },
  decompress(bytes: Uint8Array, sizeBytesMax: number): Uint8Array {
    // `maxOutputLength` makes zlib stop (RangeError) instead of inflating a bomb.
    return zlib.gunzipSync(bytes, { maxOutputLength: sizeBytesMax });
  },
};
