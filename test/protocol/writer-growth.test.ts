/**
 * The writer grows its scratch buffer in the middle of a primitive write. The DataView must be
 * the new buffer's: `view.setInt32(room(4), v)` read `this.view` before `room()` replaced it,
 * so the value went to the old buffer (out of bounds: a RangeError; or, after a raw chunk, a
 * silent write into bytes already handed out). A Metadata response crossing 512 bytes at an
 * int32 closed SASL test connections this way.
 */
import { expect, it } from 'vitest';
import { KafkaWriter } from '../../src/protocol/index.js';

it('writes every primitive correctly across buffer growth', () => {
  for (let start = 0; start < 16; start++) {
    const writer = new KafkaWriter(8);
    const expected = Buffer.alloc(start + 8 + 4 + 2 + 1 + 8);
    for (let i = 0; i < start; i++) writer.int8(i);
    for (let i = 0; i < start; i++) expected.writeInt8(i, i);
    writer.int64(0x0102030405060708n);
    expected.writeBigInt64BE(0x0102030405060708n, start);
    writer.int32(-5);
    expected.writeInt32BE(-5, start + 8);
    writer.int16(300);
    expected.writeInt16BE(300, start + 12);
    writer.uvarint(5);
    expected.writeUInt8(5, start + 14);
    writer.float64(1.5);
    expected.writeDoubleBE(1.5, start + 15);
    expect(Buffer.from(writer.toBytes())).toEqual(expected);
  }
});

it('leaves a chunk already closed by a raw view untouched when it grows', () => {
  const writer = new KafkaWriter(16);
  writer.int32(7);
  const big = new Uint8Array(2048).fill(9);
  writer.raw(big);
  for (let i = 0; i < 8; i++) writer.int32(i + 100);
  const chunks = writer.finish();
  expect(Buffer.from(chunks[0])).toEqual(Buffer.from([0, 0, 0, 7]));
  expect(chunks[1]).toBe(big);
  const tail = Buffer.concat(chunks.slice(2));
  expect([...Array(8).keys()].map((i) => tail.readInt32BE(i * 4)))
    .toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
});
