// MurmurHash3 (x86, 32-bit) over 32-bit words: the engine's one key hash (src/shuffle/hash.ts),
// bit for bit. u32 multiplication wraps like Math.imul.
fn mm_mix(h: u32, w: u32) -> u32 {
  var k = w * 0xcc9e2d51u;
  k = (k << 15u) | (k >> 17u);
  k = k * 0x1b873593u;
  var x = h ^ k;
  x = (x << 13u) | (x >> 19u);
  return x * 5u + 0xe6546b64u;
}

fn mm_finish(h0: u32, count: u32) -> u32 {
  var h = h0 ^ (count * 4u);
  h = h ^ (h >> 16u);
  h = h * 0x85ebca6bu;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae35u;
  return h ^ (h >> 16u);
}
