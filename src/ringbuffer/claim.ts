/**
 * A claim: space reserved in a ring for one frame, handed to the producer to fill in place.
 *
 * The producer encodes its payload straight into `payload` (a view over the ring's shared
 * memory, exactly the frame's payload bytes, contiguous), may set `flags`, and then hands the
 * claim back with `commit`, `commitDeferred` or `abort` on the ring that issued it. A claim is
 * valid until then; after it the view points at memory the consumer may already be reading or
 * the ring may have reused, so it must not be kept.
 */
export class Claim {
  /** User flags written into the frame header at commit (0 .. 0xffff). */
  flags = 0;
  /** @internal 0 while open; 1 once committed or aborted. */
  settled = 0;
  private view: Uint8Array | undefined;

  constructor(
    /** The ring's whole shared buffer as bytes: `bytes[payloadOffset .. +payloadBytes]`. */
    readonly bytes: Uint8Array,
    /** Where the payload starts in `bytes` (so hot loops can write without a view). */
    readonly payloadOffset: number,
    readonly payloadBytes: number,
    /** The frame type given to the claim. */
    readonly type: number,
    /** @internal Ring position of the frame's first byte (wrap-safe 32-bit). */
    readonly position: number,
    /** @internal Byte offset of the frame header in the shared buffer. */
    readonly frameOffset: number,
    /** @internal Bytes the frame occupies, alignment included. */
    readonly alignedBytes: number,
    /** @internal Bytes of padding the claim wrote before the frame, at the wrap. */
    readonly paddingBytes: number,
  ) {}

  /** A writable view of exactly the payload; made on first use (a view costs an allocation). */
  get payload(): Uint8Array {
    if (this.view === undefined) {
      this.view = new Uint8Array(this.bytes.buffer, this.payloadOffset, this.payloadBytes);
    }
    return this.view;
  }
}
