/**
 * Strings as Arrow lays them out: offsets and UTF-8 bytes. String keys leave an executor thread in
 * this form (a map task's shuffle block, a reduce task's result), so the driver receives, forwards
 * and turns into Arrow two typed arrays instead of millions of JS strings on its own thread.
 */
export interface Utf8Values {
  /** Row i is bytes[offsets[i], offsets[i + 1]). */
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
}

const encoder = new TextEncoder();

/** The strings' UTF-8 bytes; rows where `valid` is 0 are empty. */
export function encodeUtf8(strings: readonly string[], valid: Uint8Array | null): Utf8Values {
  const n = strings.length;
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(64, strings.reduce((a, s) => a + s.length, 0)));
  let at = 0;
  for (let i = 0; i < n; i++) {
    const s = valid && !valid[i] ? '' : strings[i];
    if (at + 3 * s.length > bytes.length) {
      const grown = new Uint8Array(Math.max(2 * bytes.length, at + 3 * s.length));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    // ASCII byte by byte (most keys); otherwise the encoder rewrites the whole string.
    let j = 0;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c >= 0x80) break;
      bytes[at + j] = c;
    }
    at += j === s.length ? j : encoder.encodeInto(s, bytes.subarray(at)).written;
    offsets[i + 1] = at;
  }
  return { offsets, bytes: bytes.subarray(0, at) };
}

/** The strings back from their bytes (Buffer's decoder: TextDecoder refuses views of shared memory). */
export function decodeUtf8(v: Utf8Values): string[] {
  const buf = Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength);
  const n = v.offsets.length - 1;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = buf.toString('utf8', v.offsets[i], v.offsets[i + 1]);
  return out;
}
