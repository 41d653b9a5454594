/**
 * Which parked offsets of the delayed log are done (delivered, or dropped as undeliverable):
 * every offset below `lowOffset`, and a bitmap of those at or above it. Delayed messages are
 * delivered in due order, not log order, so the set is not a single watermark; the bitmap is one
 * bit per offset between the oldest one still pending and the newest one done, 1 MiB per 8 M
 * offsets, and its storage shrinks forward as `lowOffset` moves.
 */
import { assert } from '../assert.js';

const bitsPerWord = 32;
const initialWordCount = 64;

export class DeliveredSet {
  /** Offset of bit 0 of `words[0]`: a multiple of 32, at or below `lowOffset`. */
  private baseOffset: number;
  private words: Uint32Array;
  private low: number;

  constructor(lowOffset = 0, bits?: Uint32Array) {
    this.baseOffset = Math.floor(lowOffset / bitsPerWord) * bitsPerWord;
    this.words = new Uint32Array(Math.max(initialWordCount, bits?.length ?? 0));
    if (bits !== undefined) this.words.set(bits);
    this.low = lowOffset;
    this.advanceLow();
  }

  /** Every offset below it is done. */
  get lowOffset(): number {
    return this.low;
  }

  get memoryBytes(): number {
    return this.words.byteLength;
  }

  has(offset: number): boolean {
    if (offset < this.low) return true;
    const bit = offset - this.baseOffset;
    const word = bit >>> 5;
    if (word >= this.words.length) return false;
    return (this.words[word] & (1 << (bit & 31))) !== 0;
  }

  add(offset: number): void {
    assert(Number.isSafeInteger(offset) && offset >= 0, `offset ${offset} is a log offset`);
    if (offset < this.low) return;
    const bit = offset - this.baseOffset;
    const word = bit >>> 5;
    if (word >= this.words.length) this.growTo(word + 1);
    this.words[word] |= 1 << (bit & 31);
    if (offset === this.low) this.advanceLow();
  }

  /**
   * Forgets what is known at or above `endOffset` (the log was cut there by a power loss, and
   * new records will take those offsets again).
   */
  truncate(endOffset: number): void {
    if (endOffset <= this.low) {
      this.low = endOffset;
      this.baseOffset = Math.floor(endOffset / bitsPerWord) * bitsPerWord;
      this.words.fill(0);
      return;
    }
    for (let offset = endOffset; offset < this.baseOffset + this.words.length * bitsPerWord;
      offset++) {
      const bit = offset - this.baseOffset;
      this.words[bit >>> 5] &= ~(1 << (bit & 31));
    }
  }

  /** The bitmap from `floor(lowOffset / 32) * 32` on, trimmed of trailing empty words. */
  snapshot(): { lowOffset: number; bits: Uint32Array } {
    const first = (Math.floor(this.low / bitsPerWord) * bitsPerWord - this.baseOffset) >>> 5;
    let end = this.words.length;
    while (end > first && this.words[end - 1] === 0) end--;
    return { lowOffset: this.low, bits: this.words.slice(first, end) };
  }

  private advanceLow(): void {
    for (;;) {
      const bit = this.low - this.baseOffset;
      const word = bit >>> 5;
      if (word >= this.words.length) break;
      if ((bit & 31) === 0 && this.words[word] === 0xffff_ffff) {
        this.low += bitsPerWord;
        continue;
      }
      if ((this.words[word] & (1 << (bit & 31))) === 0) break;
      this.low++;
    }
    this.compact();
  }

  /** Drops the words wholly below `lowOffset` once they are half of the storage. */
  private compact(): void {
    const dropWords = Math.floor((this.low - this.baseOffset) / bitsPerWord);
    if (dropWords < this.words.length / 2) return;
    this.words.copyWithin(0, dropWords);
    this.words.fill(0, this.words.length - dropWords);
    this.baseOffset += dropWords * bitsPerWord;
  }

  private growTo(wordCount: number): void {
    let length = this.words.length;
    while (length < wordCount) length *= 2;
    const words = new Uint32Array(length);
    words.set(this.words);
    this.words = words;
  }
}
