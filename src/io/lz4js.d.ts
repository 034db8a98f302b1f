/** The part of lz4js (no types of its own) the IPC codecs use: LZ4 frame format. */
declare module 'lz4js' {
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
