// Test-only: seeded frame sizes, frame contents and their checksum, shared by both ends.

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
export function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly small frames (12..76 bytes), one in 64 up to `maxPayloadBytes`. */
export function frameSizeOf(random, maxPayloadBytes) {
  const roll = random();
  if (roll < 1 / 64) return 12 + Math.floor(random() * (maxPayloadBytes - 12));
  return 12 + Math.floor(roll * 64);
}

/** FNV-1a over the payload after the 12-byte [producer][sequence][checksum] prefix. */
export function checksumOf(payload) {
  let hash = 0x811c9dc5;
  for (let i = 12; i < payload.length; i++) hash = Math.imul(hash ^ payload[i], 16777619);
  return (hash ^ payload.length) >>> 0;
}

export function fillFrame(bytes, offset, size, producerId, sequence) {
  const view = new DataView(bytes.buffer, offset, size);
  view.setUint32(0, producerId, true);
  view.setUint32(4, sequence, true);
  for (let i = 12; i < size; i++) bytes[offset + i] = (sequence + i * 31 + producerId) & 0xff;
  view.setUint32(8, checksumOf(bytes.subarray(offset, offset + size)), true);
}
