/**
 * TensorFlow's string hashes, in BigInt (uint64 arithmetic): `Hash64` (the MurmurHash64A
 * variant of tensorflow/core/lib/hash/hash.cc, used by the legacy StringToHashBucket),
 * SipHash-2-4 (StringToHashBucketStrong) and `FingerprintCat64` (SparseCross).
 */
const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

function le64(data: Uint8Array, off: number, n = 8): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[off + i]!);
  return v;
}

/** TF's Hash64(data, n, seed = 0xDECAFCAFFE). */
export function hash64(data: Uint8Array, seed = 0xdecafcaffen): bigint {
  const r = 47n;
  let n = data.length;
  let h = (seed ^ mul(BigInt(n), M)) & MASK;
  let off = 0;
  while (n >= 8) {
    let k = le64(data, off);
    off += 8;
    n -= 8;
    k = mul(k, M);
    k ^= k >> r;
    k = mul(k, M);
    h ^= k;
    h = mul(h, M);
  }
  if (n > 0) {
    h ^= le64(data, off, n);
    h = mul(h, M);
  }
  h ^= h >> r;
  h = mul(h, M);
  h ^= h >> r;
  return h;
}

/** SipHash-2-4 of `data` with the 128-bit key (k0, k1). */
export function sipHash24(data: Uint8Array, k0: bigint, k1: bigint): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const n = data.length;
  const whole = n - (n % 8);
  for (let off = 0; off < whole; off += 8) {
    const m = le64(data, off);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  const last = (BigInt(n & 0xff) << 56n) | le64(data, whole, n - whole);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

/** TF's FingerprintCat64(fp1, fp2) (tensorflow/core/platform/fingerprint.h). */
export function fingerprintCat64(fp1: bigint, fp2: bigint): bigint {
  let result = fp1 ^ M;
  result ^= mul(shiftMix(mul(fp2, M)), M);
  result = mul(result, M);
  result = mul(shiftMix(result), M);
  return shiftMix(result);
}
