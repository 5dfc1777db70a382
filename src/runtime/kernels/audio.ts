/**
 * The speech-commands audio ops as TensorFlow computes them: `DecodeWav` (wav_io.cc: 16-bit PCM
 * only, samples / 32768), `AudioSpectrogram` (spectrogram.cc: periodic Hann window of
 * `window_size` samples, zero-padded to the next power of two, |DFT|² in double, stored as
 * float32, `sqrtf` of it unless `magnitude_squared`) and `Mfcc` (mfcc_mel_filterbank.cc: HTK-style
 * triangular mel bands over the sqrt of the spectrogram, log floored at 1e-12, mfcc_dct.cc's
 * unnormalised DCT-II; all in double, stored as float32). TF's error texts for malformed WAVs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@tensorflow/tfjs-converter';
import { Errors } from '../../errors.js';
import { kernelInput, type KernelEntry } from './types.js';
import { attrBool, attrFloat, attrInt, bytesOf, numbersOf } from './util.js';
import { dft } from './fft64.js';

interface Wav {
  readonly samples: Float32Array;
  readonly frames: number;
  readonly channels: number;
  readonly rate: number;
}

const bad = (text: string): Error => Errors.kernelArgument(text);

/** A little-endian reader over the WAV bytes that fails as wav_io.cc's IncrementOffset does. */
class Reader {
  private offset = 0;
  constructor(private readonly b: Uint8Array) {}
  get at(): number {
    return this.offset;
  }
  get done(): boolean {
    return this.offset >= this.b.length;
  }
  private take(n: number): number {
    const start = this.offset;
    if (start + n > this.b.length) throw bad(`Data too short when trying to read ${n > 4 ? 'string' : 'value'}`);
    this.offset += n;
    return start;
  }
  skip(n: number): void {
    this.offset += n;
  }
  text(n: number): string {
    const s = this.take(n);
    return Buffer.from(this.b.subarray(s, s + n)).toString('latin1');
  }
  u16(): number {
    const s = this.take(2);
    return this.b[s]! | (this.b[s + 1]! << 8);
  }
  u32(): number {
    const s = this.take(4);
    return (this.b[s]! | (this.b[s + 1]! << 8) | (this.b[s + 2]! << 16)) + this.b[s + 3]! * 0x1000000;
  }
  i16(): number {
    const v = this.u16();
    return v >= 0x8000 ? v - 0x10000 : v;
  }
}

function expectText(r: Reader, want: string, what: string): void {
  const got = r.text(4);
  if (got !== want) throw bad(`Header mismatch: Expected ${want} but found ${got}${what}`);
}

/** The "fmt " chunk: channel count, sample rate and bytes per frame, checked as wav_io.cc does. */
function readFormat(r: Reader): { channels: number; rate: number; frameBytes: number } {
  expectText(r, 'fmt ', '');
  const size = r.u32();
  if (size !== 16 && size !== 18) throw bad(`Bad format chunk size for WAV: Expected 16 or 18, but got${size}`);
  const format = r.u16();
  if (format !== 1) throw bad(`Bad audio format for WAV: Expected 1 (PCM), but got${format}`);
  const channels = r.u16();
  if (channels < 1) throw bad(`Bad number of channels for WAV: Expected at least 1, but got ${channels}`);
  const rate = r.u32();
  const bytesPerSecond = r.u32();
  const frameBytes = r.u16();
  const bits = r.u16();
  if (bits !== 16) throw bad(`Can only read 16-bit WAV files, but received ${bits}`);
  const expectedFrame = Math.floor((bits * channels + 7) / 8);
  if (frameBytes !== expectedFrame) throw bad(`Bad bytes per sample in WAV header: Expected ${expectedFrame} but got ${frameBytes}`);
  if (bytesPerSecond !== frameBytes * rate) throw bad(`Bad bytes per second in WAV header: Expected ${frameBytes * rate} but got ${bytesPerSecond}`);
  if (size === 18) r.skip(2);
  return { channels, rate, frameBytes };
}

/** wav_io.cc DecodeLin16WaveAsFloatVector. */
export function decodeWav(bytes: Uint8Array): Wav {
  const r = new Reader(bytes);
  expectText(r, 'RIFF', '');
  r.u32();
  expectText(r, 'WAVE', '');
  const { channels, rate, frameBytes } = readFormat(r);
  let samples: Float32Array | undefined;
  let frames = 0;
  while (!r.done) {
    const id = r.text(4);
    const size = r.u32();
    if (size > 0x7fffffff) throw bad(`WAV data chunk '${id}' is too large: ${size} bytes, but the limit is 2147483647`);
    if (id !== 'data') {
      r.skip(size);
      continue;
    }
    if (samples) throw bad('More than one data chunk found in WAV');
    frames = Math.floor(size / frameBytes);
    const count = frames * channels;
    if (r.at + 2 * count > bytes.length) throw bad('Data too short when trying to read string');
    samples = new Float32Array(count);
    for (let i = 0; i < count; i++) samples[i] = r.i16() / 32768;
  }
  if (!samples) throw bad('No data chunk found in WAV');
  return { samples, frames, channels, rate };
}

/** DecodeWav: [desired_samples, desired_channels] (-1: as decoded); short files pad with 0, extra channels repeat the last. */
function decodeWavOp(node: GraphNode): tf.Tensor[] {
  const contents = kernelInput(node, 0);
  if (contents.rank !== 0) throw bad(`contents must be scalar, got shape ${JSON.stringify(contents.shape)}`);
  const wav = decodeWav(bytesOf(contents)[0]!);
  const wantChannels = attrInt(node, 'desired_channels', -1);
  const wantSamples = attrInt(node, 'desired_samples', -1);
  const channels = wantChannels === -1 ? wav.channels : wantChannels;
  const frames = wantSamples === -1 ? wav.frames : wantSamples;
  const out = new Float32Array(frames * channels);
  for (let s = 0; s < Math.min(frames, wav.frames); s++) {
    for (let c = 0; c < channels; c++) out[s * channels + c] = wav.samples[s * wav.channels + Math.min(c, wav.channels - 1)]!;
  }
  return [tf.tensor2d(out, [frames, channels]), tf.scalar(wav.rate, 'int32')];
}

const nextPow2 = (v: number): number => 2 ** Math.ceil(Math.log2(Math.max(v, 1)));

/** AudioSpectrogram: input [samples, channels] → [channels, frames, fft/2 + 1]. */
function spectrogramOp(node: GraphNode): tf.Tensor {
  const input = kernelInput(node, 0);
  if (input.rank !== 2) throw bad(`input must be 2-dimensional${JSON.stringify(input.shape)}`);
  const window = attrInt(node, 'window_size', 0);
  const stride = attrInt(node, 'stride', 0);
  if (window < 2) throw bad(`window_size must be greater than 1, got ${window}`);
  if (stride < 1) throw bad(`stride must be positive, got ${stride}`);
  const squared = attrBool(node, 'magnitude_squared', false);
  const [samples, channels] = input.shape as [number, number];
  const frames = samples < window ? 0 : 1 + Math.floor((samples - window) / stride);
  const n = nextPow2(window);
  const bins = n / 2 + 1;
  // GetPeriodicHann, in double
  const hann = Float64Array.from({ length: window }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / window));
  const x = input.dataSync() as Float32Array;
  const out = new Float32Array(channels * frames * bins);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let c = 0; c < channels; c++) {
    for (let f = 0; f < frames; f++) {
      re.fill(0);
      im.fill(0);
      for (let j = 0; j < window; j++) re[j] = x[(f * stride + j) * channels + c]! * hann[j]!;
      dft(re, im, -1); // n is a power of two: fft64's radix-2 pass
      const o = (c * frames + f) * bins;
      for (let k = 0; k < bins; k++) {
        const power = Math.fround(re[k]! * re[k]! + im[k]! * im[k]!);
        out[o + k] = squared ? power : Math.fround(Math.sqrt(power));
      }
    }
  }
  return tf.tensor3d(out, [channels, frames, bins]);
}

const freqToMel = (f: number): number => 1127.0 * Math.log1p(f / 700.0);

interface Filterbank {
  readonly start: number;
  readonly end: number;
  readonly band: Int32Array;
  readonly weight: Float64Array;
}

/** MfccMelFilterbank::Initialize. */
function filterbank(bins: number, rate: number, channels: number, lower: number, upper: number): Filterbank {
  if (channels < 1) throw bad('Number of filterbank channels must be positive.');
  if (rate <= 0) throw bad('Sample rate must be positive.');
  if (bins < 2) throw bad('Input length must greater than 1.');
  if (lower < 0) throw bad('Lower frequency limit must be nonnegative.');
  if (upper <= lower) throw bad('Upper frequency limit must be greater than lower frequency limit.');
  const melLow = freqToMel(lower);
  const spacing = (freqToMel(upper) - melLow) / (channels + 1);
  const centre = Float64Array.from({ length: channels + 1 }, (_, i) => melLow + spacing * (i + 1));
  const hzPerBin = (0.5 * rate) / (bins - 1);
  const start = Math.trunc(1.5 + lower / hzPerBin);
  const end = Math.trunc(upper / hzPerBin);
  const band = new Int32Array(bins);
  const weight = new Float64Array(bins);
  let ch = 0;
  for (let i = 0; i < bins; i++) {
    const mel = freqToMel(i * hzPerBin);
    if (i < start || i > end) {
      band[i] = -2;
      continue;
    }
    while (ch < channels && centre[ch]! < mel) ch++;
    band[i] = ch - 1;
    const b = ch - 1;
    weight[i] = b >= 0 ? (centre[b + 1]! - mel) / (centre[b + 1]! - centre[b]!) : (centre[0]! - mel) / (centre[0]! - melLow);
  }
  if (bins <= end) throw bad(`Mfcc: the spectrogram has ${bins} bins, too few for upper_frequency_limit ${upper} at sample rate ${rate}`);
  return { start, end, band, weight };
}

/** Mfcc: spectrogram [channels, frames, bins] (squared magnitudes) → [channels, frames, dct_coefficient_count]. */
function mfccOp(node: GraphNode): tf.Tensor {
  const spec = kernelInput(node, 0);
  if (spec.rank !== 3) throw bad(`spectrogram must be 3-dimensional${JSON.stringify(spec.shape)}`);
  const rate = numbersOf(kernelInput(node, 1))[0] ?? 0;
  const nFilters = attrInt(node, 'filterbank_channel_count', 40);
  const nCoeffs = attrInt(node, 'dct_coefficient_count', 13);
  const [ch, frames, bins] = spec.shape as [number, number, number];
  const fb = filterbank(bins, rate, nFilters, attrFloat(node, 'lower_frequency_limit', 20), attrFloat(node, 'upper_frequency_limit', 4000));
  if (nCoeffs < 1) throw bad('Coefficient count must be positive.');
  if (nCoeffs > nFilters) throw bad('Coefficient count must be less than or equal to input length.');
  const fnorm = Math.sqrt(2.0 / nFilters);
  const arg = (Math.atan(1) * 4) / nFilters;
  const cosines = Array.from({ length: nCoeffs }, (_, i) => Float64Array.from({ length: nFilters }, (__, j) => fnorm * Math.cos(i * arg * (j + 0.5))));
  const x = spec.dataSync() as Float32Array;
  const out = new Float32Array(ch * frames * nCoeffs);
  const mel = new Float64Array(nFilters);
  for (let r = 0; r < ch * frames; r++) {
    mel.fill(0);
    for (let i = fb.start; i <= fb.end; i++) {
      const v = Math.sqrt(x[r * bins + i]!);
      const w = v * fb.weight[i]!;
      const b = fb.band[i]!;
      if (b >= 0) mel[b] = mel[b]! + w;
      if (b + 1 < nFilters) mel[b + 1] = mel[b + 1]! + (v - w);
    }
    for (let j = 0; j < nFilters; j++) mel[j] = Math.log(Math.max(mel[j]!, 1e-12));
    for (let i = 0; i < nCoeffs; i++) {
      let sum = 0;
      for (let j = 0; j < nFilters; j++) sum += cosines[i]![j]! * mel[j]!;
      out[r * nCoeffs + i] = sum;
    }
  }
  return tf.tensor3d(out, [ch, frames, nCoeffs]);
}

export const AUDIO_KERNELS: readonly KernelEntry[] = [
  { op: 'DecodeWav', kernel: decodeWavOp },
  { op: 'AudioSpectrogram', kernel: (node) => [spectrogramOp(node)] },
  { op: 'Mfcc', kernel: (node) => [mfccOp(node)] },
];
