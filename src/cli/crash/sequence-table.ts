/**
 * Per-producer columns indexed by record sequence: where a record was placed (slot, offset) and
 * how many times it was seen. Sequences of a producer are dense from 0, so plain typed arrays
 * (grown by doubling) hold millions of records in a few bytes each, with no per-record object.
 */
const initialCapacity = 4096;

export class SequenceTable {
  /** The first offset recorded for each sequence; NaN while none was. */
  offsets = new Float64Array(initialCapacity).fill(Number.NaN);
  slots = new Int32Array(initialCapacity);
  /** How many times each sequence was recorded, saturating at 255. */
  counts = new Uint8Array(initialCapacity);
  /** One past the highest sequence recorded. */
  length = 0;

  /** Records one sighting; returns how many times the sequence has now been seen. */
  record(sequence: number, slot: number, offset: number): number {
    this.ensure(sequence);
    const count = this.counts[sequence];
    if (count === 0) {
      this.offsets[sequence] = offset;
      this.slots[sequence] = slot;
    }
    if (count < 255) this.counts[sequence] = count + 1;
    if (sequence >= this.length) this.length = sequence + 1;
    return count + 1;
  }

  private ensure(sequence: number): void {
    if (sequence < this.counts.length) return;
    let capacity = this.counts.length;
    while (capacity <= sequence) capacity *= 2;
    const offsets = new Float64Array(capacity).fill(Number.NaN);
    offsets.set(this.offsets);
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    const counts = new Uint8Array(capacity);
    counts.set(this.counts);
    this.offsets = offsets;
    this.slots = slots;
    this.counts = counts;
  }
}
