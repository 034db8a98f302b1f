// Float64 without f64: values travel as their IEEE bit pattern, vec2<u32>(hi, lo).

// Total-order key of a float64 (unsigned lexicographic on (x, y)): SQL order, where NaN equals NaN
// and is greater than everything, and -0 equals 0.
fn fkey(h: u32, l: u32) -> vec2<u32> {
  if ((h & 0x7ff00000u) == 0x7ff00000u && ((h & 0xfffffu) | l) != 0u) { return vec2<u32>(0xffffffffu, 0xffffffffu); }
  if ((h & 0x7fffffffu) == 0u && l == 0u) { return vec2<u32>(0x80000000u, 0u); }
  if ((h & 0x80000000u) != 0u) { return vec2<u32>(~h, ~l); }
  return vec2<u32>(h | 0x80000000u, l);
}

fn key_lt(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }
fn key_eq(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x == b.x && a.y == b.y; }

// Exact float64 bits (hi, lo) of an unsigned / signed 32-bit integer.
fn f64_of_u32(x: u32) -> vec2<u32> {
  if (x == 0u) { return vec2<u32>(0u, 0u); }
  let z = countLeadingZeros(x);
  let m = x << z;
  let e = 1054u - z;
  return vec2<u32>((e << 20u) | ((m >> 11u) & 0xfffffu), m << 21u);
}
fn f64_of_i32(x: i32) -> vec2<u32> {
  let a = f64_of_u32(select(u32(x), 0u - u32(x), x < 0));
  return vec2<u32>(a.x | select(0u, 0x80000000u, x < 0), a.y);
}
// Exact float64 bits (hi, lo) of a float32 (as bits): subnormals become normal float64 values,
// NaN stays NaN, ±Inf and ±0 keep their sign.
fn f64_of_f32(b: u32) -> vec2<u32> {
  let s = b & 0x80000000u;
  let e = (b >> 23u) & 0xffu;
  let m = b & 0x7fffffu;
  if (e == 0xffu) { return vec2<u32>(s | 0x7ff00000u | (m >> 3u), m << 29u); }
  if (e != 0u) { return vec2<u32>(s | ((e + 896u) << 20u) | (m >> 3u), m << 29u); }
  if (m == 0u) { return vec2<u32>(s, 0u); }
  // Subnormal: m · 2^-149 with its top bit p (0..22), so exponent p - 149; the p bits below the
  // top one are the fraction, shifted up to the top of the 52-bit field (by 30..52 bits).
  let p = 31u - countLeadingZeros(m);
  let f = m ^ (1u << p);
  let sh = 52u - p;
  let h = s | ((p + 874u) << 20u);
  if (sh >= 32u) { return vec2<u32>(h | (f << (sh - 32u)), 0u); }
  return vec2<u32>(h | (f >> (32u - sh)), f << sh);
}

// (hi, lo) as a 64-bit magnitude shifted by sh bits (right shifts truncate), as 4 little-endian words.
// Callers keep sh < 96 and the result below 2^128 (float-sum-scale.ts: a 53-bit mantissa shifts by
// at most 74, a 24-bit one by at most 95).
fn shl64(mh: u32, ml: u32, sh: i32) -> vec4<u32> {
  if (sh <= -64) { return vec4<u32>(0u); }
  var h = mh;
  var l = ml;
  var s = sh;
  if (s < 0) {
    let r = u32(-s);
    if (r >= 32u) { l = h >> (r - 32u); h = 0u; }
    else { l = (l >> r) | (h << (32u - r)); h = h >> r; }
    s = 0;
  }
  let q = u32(s) >> 5u;
  let r = u32(s) & 31u;
  // WGSL masks shift counts to 5 bits: r == 0 needs its own case.
  let a0 = l << r;
  let a1 = select((h << r) | (l >> (32u - r)), h, r == 0u);
  let a2 = select(h >> (32u - r), 0u, r == 0u);
  if (q == 0u) { return vec4<u32>(a0, a1, a2, 0u); }
  if (q == 1u) { return vec4<u32>(0u, a0, a1, a2); }
  return vec4<u32>(0u, 0u, a0, a1);
}

// |x| of a finite float64 in fixed point: trunc(|x| * 2^S), as 4 words.
fn fixed64(h: u32, l: u32, S: i32) -> vec4<u32> {
  let e = i32((h >> 20u) & 0x7ffu);
  var mh = h & 0xfffffu;
  var e2 = -1074;
  if (e != 0) { mh = mh | 0x100000u; e2 = e - 1075; }
  return shl64(mh, l, e2 + S);
}

// |x| of a finite float32 (as bits) in fixed point: trunc(|x| * 2^S).
fn fixed32(b: u32, S: i32) -> vec4<u32> {
  let e = i32((b >> 23u) & 0xffu);
  var m = b & 0x7fffffu;
  var e2 = -149;
  if (e != 0) { m = m | 0x800000u; e2 = e - 150; }
  return shl64(0u, m, e2 + S);
}

// -a and a + b of signed 128-bit integers (two's complement, little-endian words).
fn neg128(a: vec4<u32>) -> vec4<u32> {
  let n = ~a;
  let x = n.x + 1u;
  let y = n.y + select(0u, 1u, x == 0u);
  let z = n.z + select(0u, 1u, x == 0u && y == 0u);
  return vec4<u32>(x, y, z, n.w + select(0u, 1u, x == 0u && y == 0u && z == 0u));
}
fn add128(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  let x = a.x + b.x;
  var c = select(0u, 1u, x < a.x);
  let y0 = a.y + b.y;
  let y = y0 + c;
  c = select(0u, 1u, y0 < a.y) + select(0u, 1u, y < y0);
  let z0 = a.z + b.z;
  let z = z0 + c;
  c = select(0u, 1u, z0 < a.z) + select(0u, 1u, z < z0);
  return vec4<u32>(x, y, z, a.w + b.w + c);
}

// A double-float (two f32 as bits) in signed fixed point: ±trunc(|hi|·2^S) ± trunc(|lo|·2^S).
fn dfixed(hi: u32, lo: u32, S: i32) -> vec4<u32> {
  let a = fixed32(hi, S);
  let b = fixed32(lo, S);
  return add128(select(a, neg128(a), (hi >> 31u) != 0u), select(b, neg128(b), (lo >> 31u) != 0u));
}

// Double-float (hi + lo as two f32): about 48 bits of precision. opq() hides values from the
// shader compiler so that it cannot "simplify" the error-free transforms away.
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opq(a + b);
  let bb = opq(s - a);
  return vec2<f32>(s, (a - opq(s - bb)) + (b - bb));
}
fn quick_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opq(a + b);
  return vec2<f32>(s, b - opq(s - a));
}
fn split(a: f32) -> vec2<f32> {
  let t = opq(4097.0 * a);
  let hi = opq(t - opq(t - a));
  return vec2<f32>(hi, a - hi);
}
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = opq(a * b);
  let x = split(a);
  let y = split(b);
  return vec2<f32>(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}
fn df_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = two_sum(a.x, b.x);
  let t = two_sum(a.y, b.y);
  let u = quick_two_sum(s.x, s.y + t.x);
  return quick_two_sum(u.x, u.y + t.y);
}
fn df_neg(a: vec2<f32>) -> vec2<f32> { return -a; }
fn df_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let p = two_prod(a.x, b.x);
  return quick_two_sum(p.x, p.y + (a.x * b.y + a.y * b.x));
}
// A finite float64 in [2^-100, 2^100) or 0 as a double-float (the host checks the range).
fn df_of_f64(h: u32, l: u32) -> vec2<f32> {
  let e = i32((h >> 20u) & 0x7ffu) - 1023;
  if (e < -100) { return vec2<f32>(0.0, 0.0); }
  let sign = h & 0x80000000u;
  let hi = bitcast<f32>(sign | (u32(e + 127) << 23u) | ((h & 0xfffffu) << 3u) | (l >> 29u));
  let lo = ldexp(f32(l & 0x1fffffffu), e - 52);
  return vec2<f32>(hi, select(lo, -lo, sign != 0u));
}
// Exact, and normalized (|lo| <= ulp(hi) / 2) as df_add's quick_two_sum steps require.
fn df_of_i32(x: i32) -> vec2<f32> { return two_sum(f32(x & ~0xff), f32(x & 0xff)); }
fn df_of_u32(x: u32) -> vec2<f32> { return two_sum(f32(x & ~0xffu), f32(x & 0xffu)); }
