/**
 * Discrete Fourier transforms in double precision, for kernels that store float32 results.
 * tfjs's float32 FFT accumulates rounding: on 128-point STFT frames its bins were up to 6e-5
 * (relative) off TF's, whose float32 transform stays within ~4e-8 of the exact one, so a
 * double transform rounded to float32 lands within TF's own error. Power-of-two lengths run
 * radix-2; any other length runs Bluestein's chirp-z on a power-of-two transform.
 */

/** In-place iterative radix-2 transform of (re, im); n a power of two; sign -1 forward, +1 inverse (unscaled). */
function radix2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    for (let k = 0; k < half; k++) {
      const ang = (sign * 2 * Math.PI * k) / len;
      const wr = Math.cos(ang);
      const wi = Math.sin(ang);
      for (let i = k; i < n; i += len) {
        const j = i + half;
        const xr = re[j]! * wr - im[j]! * wi;
        const xi = re[j]! * wi + im[j]! * wr;
        re[j] = re[i]! - xr;
        im[j] = im[i]! - xi;
        re[i] = re[i]! + xr;
        im[i] = im[i]! + xi;
      }
    }
  }
}

/** Bluestein: the length-n DFT as a convolution with a chirp, on power-of-two transforms. */
function bluestein(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const m = 2 ** Math.ceil(Math.log2(2 * n - 1));
  // conj of the chirp w_k = exp(sign·iπk²/n); k² mod 2n keeps the angle exact for large k
  const cr = new Float64Array(n);
  const ci = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const ang = (-sign * Math.PI * ((k * k) % (2 * n))) / n;
    cr[k] = Math.cos(ang);
    ci[k] = Math.sin(ang);
  }
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    ar[k] = re[k]! * cr[k]! + im[k]! * ci[k]!;
    ai[k] = im[k]! * cr[k]! - re[k]! * ci[k]!;
  }
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    br[k] = cr[k]!;
    bi[k] = ci[k]!;
    if (k > 0) {
      br[m - k] = cr[k]!;
      bi[m - k] = ci[k]!;
    }
  }
  radix2(ar, ai, -1);
  radix2(br, bi, -1);
  for (let k = 0; k < m; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
    ai[k] = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
  }
  radix2(ar, ai, 1);
  for (let k = 0; k < n; k++) {
    const xr = ar[k]! / m;
    const xi = ai[k]! / m;
    re[k] = xr * cr[k]! + xi * ci[k]!;
    im[k] = xi * cr[k]! - xr * ci[k]!;
  }
}

/** In-place DFT of any length: sign -1 forward, +1 inverse (unscaled). */
export function dft(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  if (n <= 1) return;
  if ((n & (n - 1)) === 0) radix2(re, im, sign);
  else bluestein(re, im, sign);
}
