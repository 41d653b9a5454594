// Types for the two pure-JavaScript codec packages, which ship none (only what Mamba calls).

declare module 'snappyjs' {
  /** One raw snappy block; throws for a bad stream or an output over `maxLength`. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}

declare module 'lz4js' {
  /** Compresses to one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** The output size a frame needs, from its content size or its block sizes. */
  export function decompressBound(src: Uint8Array): number;
  /** Decompresses one frame into `dst`; returns the bytes written. */
  export function decompressFrame(src: Uint8Array, dst: Uint8Array): number;
  const lz4: {
    compress: typeof compress;
    decompressBound: typeof decompressBound;
    decompressFrame: typeof decompressFrame;
  };
  export default lz4;
}
