/**
 * The topic directory: which partition slots each topic owns, in shared memory, so that a
 * producer or consumer in any thread can resolve a topic name without a round trip to the main
 * thread. The broker on the main thread is its only writer (`put`, `remove`); every other
 * thread only reads.
 *
 * ```
 *  0         4           8                 128
 *  +---------+-----------+-----------------+
 *  | seq i32 | count i32 | (padding)       |   header, 128 bytes
 *  +---------+-----------+-----------------+
 *  entry (280 bytes) × topicsPerBrokerMax:
 *   0 state i32 (0 free, 1 live)  4 firstSlot i32  8 partitionCount i32  12 nameLength i32
 *  16 topicId i32                20 maxRecordBytes i32  24 name, nameLength bytes of 256
 * ```
 *
 * Consistency is a sequence lock: the writer makes `seq` odd, changes entries, makes it even
 * again. A reader copies every entry between two loads of `seq` and starts over if they differ
 * or the first is odd, so it never acts on a half-written entry; it keeps that copy until `seq`
 * changes.
 */
import { assert } from '../assert.js';
import { recordSizeBytesMax, topicNameLengthMax, topicsPerBrokerMax } from '../constants.js';

const i32 = 4;
const HEADER_SIZE_BYTES = 128;
const SEQ = 0;
const COUNT = SEQ + i32;
const ENTRY_STATE = 0;
const ENTRY_FIRST_SLOT = ENTRY_STATE + i32;
const ENTRY_PARTITION_COUNT = ENTRY_FIRST_SLOT + i32;
const ENTRY_NAME_LENGTH = ENTRY_PARTITION_COUNT + i32;
const ENTRY_TOPIC_ID = ENTRY_NAME_LENGTH + i32;
/** The topic's `maxRecordBytes`, which producers in every thread check before sending. */
const ENTRY_MAX_RECORD_BYTES = ENTRY_TOPIC_ID + i32;
const ENTRY_NAME = ENTRY_MAX_RECORD_BYTES + i32;
/**
 * Room for a name. Names are 1 to `topicNameLengthMax` (249) ASCII characters (options.ts
 * validates them), so one byte each; the room is rounded up to keep entries 8-byte aligned.
 */
export const topicNameBytesMax = 256;
const ENTRY_SIZE_BYTES = ENTRY_NAME + topicNameBytesMax;
export const TOPIC_DIRECTORY_SIZE_BYTES = HEADER_SIZE_BYTES + topicsPerBrokerMax * ENTRY_SIZE_BYTES;

assert(topicNameLengthMax <= topicNameBytesMax, 'a topic name fits its entry');
assert(COUNT + i32 <= HEADER_SIZE_BYTES, 'the header fits its line');
assert(ENTRY_NAME === 24 && ENTRY_SIZE_BYTES === 280, 'entry layout as drawn above');
assert(ENTRY_SIZE_BYTES % 8 === 0, 'entries are 8-byte aligned');

export interface TopicLocation {
  topic: string;
  topicId: number;
  firstSlot: number;
  partitionCount: number;
  maxRecordBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class TopicDirectory {
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /** Reader cache, valid while `seq` is unchanged. */
  private cacheSeq = -1;
  private cache = new Map<string, TopicLocation>();

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength === TOPIC_DIRECTORY_SIZE_BYTES, 'topic directory size');
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
  }

  static create(): TopicDirectory {
    return new TopicDirectory(new SharedArrayBuffer(TOPIC_DIRECTORY_SIZE_BYTES));
  }

  /** Writer (supervisor only): publish a topic in a free entry. */
  put(location: Omit<TopicLocation, 'maxRecordBytes'> & { maxRecordBytes?: number }): void {
    const name = encoder.encode(location.topic);
    assert(name.byteLength <= topicNameBytesMax, 'topic name validated before put');
    const entry = this.freeEntry();
    this.write(() => {
      const base = entryOffset(entry);
      this.bytes.fill(0, base + ENTRY_NAME, base + ENTRY_NAME + topicNameBytesMax);
      this.bytes.set(name, base + ENTRY_NAME);
      this.setWord(base + ENTRY_FIRST_SLOT, location.firstSlot);
      this.setWord(base + ENTRY_PARTITION_COUNT, location.partitionCount);
      this.setWord(base + ENTRY_NAME_LENGTH, name.byteLength);
      this.setWord(base + ENTRY_TOPIC_ID, location.topicId);
      this.setWord(base + ENTRY_MAX_RECORD_BYTES, location.maxRecordBytes ?? recordSizeBytesMax);
      this.setWord(base + ENTRY_STATE, 1);
      Atomics.add(this.words, COUNT / i32, 1);
    });
  }

  /** Writer (supervisor only): remove a topic. */
  remove(topic: string): void {
    const entry = this.findEntry(topic);
    if (entry < 0) return;
    this.write(() => {
      this.setWord(entryOffset(entry) + ENTRY_STATE, 0);
      Atomics.sub(this.words, COUNT / i32, 1);
    });
  }

  /** Any thread: where a topic lives, or undefined. */
  lookup(topic: string): TopicLocation | undefined {
    this.refresh();
    return this.cache.get(topic);
  }

  /** Any thread: every live topic. */
  list(): TopicLocation[] {
    this.refresh();
    return [...this.cache.values()];
  }

  private refresh(): void {
    for (;;) {
      const before = Atomics.load(this.words, SEQ / i32);
      if (before === this.cacheSeq) return;
      if ((before & 1) === 1) continue;
      const snapshot = this.readAll();
      if (Atomics.load(this.words, SEQ / i32) !== before) continue;
      this.cache = snapshot;
      this.cacheSeq = before;
      return;
    }
  }

  private readAll(): Map<string, TopicLocation> {
    const result = new Map<string, TopicLocation>();
    for (let entry = 0; entry < topicsPerBrokerMax; entry++) {
      const base = entryOffset(entry);
      if (this.word(base + ENTRY_STATE) !== 1) continue;
      const name = this.nameAt(base);
      result.set(name, {
        topic: name,
        topicId: this.word(base + ENTRY_TOPIC_ID),
        firstSlot: this.word(base + ENTRY_FIRST_SLOT),
        partitionCount: this.word(base + ENTRY_PARTITION_COUNT),
        maxRecordBytes: this.word(base + ENTRY_MAX_RECORD_BYTES),
      });
    }
    return result;
  }

  private write(change: () => void): void {
    Atomics.add(this.words, SEQ / i32, 1);
    try {
      change();
    } finally {
      Atomics.add(this.words, SEQ / i32, 1);
    }
  }

  private freeEntry(): number {
    for (let entry = 0; entry < topicsPerBrokerMax; entry++) {
      if (this.word(entryOffset(entry) + ENTRY_STATE) === 0) return entry;
    }
    throw new Error('topic count is validated before put');
  }

  private findEntry(topic: string): number {
    this.refresh();
    for (let entry = 0; entry < topicsPerBrokerMax; entry++) {
      const base = entryOffset(entry);
      if (this.word(base + ENTRY_STATE) !== 1) continue;
      if (this.nameAt(base) === topic) return entry;
    }
    return -1;
  }

  private nameAt(base: number): string {
    const nameLength = Math.min(this.word(base + ENTRY_NAME_LENGTH), topicNameBytesMax);
    const start = base + ENTRY_NAME;
    // Copy out of shared memory before decoding: TextDecoder rejects shared views.
    return decoder.decode(this.bytes.slice(start, start + nameLength));
  }

  private word(byteOffset: number): number {
    return Atomics.load(this.words, byteOffset / i32);
  }

  private setWord(byteOffset: number, value: number): void {
    Atomics.store(this.words, byteOffset / i32, value);
  }
}

function entryOffset(entry: number): number {
  return HEADER_SIZE_BYTES + entry * ENTRY_SIZE_BYTES;
}
