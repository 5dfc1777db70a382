/**
 * DecodeWav, AudioSpectrogram and Mfcc (kernels/audio.ts) against TF 2.21 (the Python calls in
 * the comments). tfs refused every speech-commands-style model at load before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AUDIO_KERNELS } from '../../../src/runtime/kernels/audio.js';
import { run, values } from './helpers.js';

const near = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol * (1 + Math.abs(want[i]!)), `[${i}] ${g} vs ${want[i]}`));
};

/** A 16-bit PCM WAV with 2 channels at 8 kHz holding `samples` (interleaved), as struct.pack writes it. */
function wav(samples: number[], channels = 2, bits = 16): Uint8Array {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeInt16LE(v, 2 * i));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000 * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return new Uint8Array(Buffer.concat([h, data]));
}

const SAMPLES = [0, 16384, -32768, 32767, 100, -100, 8192, 0, -1, 1, 20000, -20000];
const decode = (bytes: Uint8Array, attrs: Record<string, number>): tf.Tensor[] => {
  const node = { inputs: [tf.tensor([bytes], [], 'string')], attrs: {}, node: { rawAttrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { i: v }])) } };
  const k = AUDIO_KERNELS.find((e) => e.op === 'DecodeWav')!;
  return k.kernel(node as never) as tf.Tensor[];
};

test('DecodeWav takes the first channel, pads to desired_samples and repeats the last channel, as TF', async () => {
  await tf.setBackend('cpu');
  // tf.audio.decode_wav(w, desired_channels=1, desired_samples=8)
  const [mono, rate] = decode(wav(SAMPLES), { desired_channels: 1, desired_samples: 8 });
  assert.deepEqual(mono!.shape, [8, 1]);
  assert.deepEqual(values(mono!), [0, -1, 0.0030517578125, 0.25, -3.0517578125e-5, 0.6103515625, 0, 0]);
  assert.deepEqual([rate!.dtype, values(rate!)], ['int32', [8000]]);
  // tf.audio.decode_wav(w, desired_channels=3): 6 frames, channel 2 repeats channel 1
  const [three] = decode(wav(SAMPLES), { desired_channels: 3 });
  assert.deepEqual(three!.shape, [6, 3]);
  assert.deepEqual(values(three!).slice(0, 6), [0, 0.5, 0.5, -1, 0.999969482421875, 0.999969482421875]);
  assert.throws(() => decode(wav(SAMPLES, 2, 24), {}), /Can only read 16-bit WAV files, but received 24/);
  assert.throws(() => decode(wav(SAMPLES).subarray(0, 40), {}), /Data too short/);
});

test('AudioSpectrogram (periodic Hann, power-of-two FFT) and Mfcc match TF', async () => {
  await tf.setBackend('cpu');
  const sig = tf.tensor2d(Array.from({ length: 20 }, (_, i) => Math.fround(Math.sin(i * 0.7))), [20, 1]);
  const spec = (squared: boolean): tf.Tensor =>
    run(AUDIO_KERNELS, 'AudioSpectrogram', [sig], { window_size: { i: 6 }, stride: { i: 5 }, magnitude_squared: { b: squared } })[0]!;
  // tf.raw_ops.AudioSpectrogram(input=sin(arange(20)*.7)[:, None], window_size=6, stride=5, magnitude_squared=True)
  assert.deepEqual(spec(true).shape, [1, 3, 5]);
  near(values(spec(true)).slice(0, 5), [3.7129297256469727, 2.796952247619629, 0.8618581295013428, 0.03580610454082489, 0.0028901840560138226]);
  near(values(spec(false)).slice(10), [0.7123062610626221, 1.2554845809936523, 0.9612271785736084, 0.1903877556324005, 0.019873343408107758]);
  // Mfcc(AudioSpectrogram(sin(arange(64)*.3), 32, 32, squared), 8000, filterbank 6, dct 4, upper 3500, lower 100)
  const s2 = run(AUDIO_KERNELS, 'AudioSpectrogram', [tf.tensor2d(Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i * 0.3))), [64, 1])], {
    window_size: { i: 32 },
    stride: { i: 32 },
    magnitude_squared: { b: true },
  })[0]!;
  const mfcc = (x: tf.Tensor, n: number): tf.Tensor =>
    run(AUDIO_KERNELS, 'Mfcc', [x, tf.scalar(8000, 'int32')], {
      filterbank_channel_count: { i: 6 },
      dct_coefficient_count: { i: n },
      upper_frequency_limit: { f: 3500 },
      lower_frequency_limit: { f: 100 },
    })[0]!;
  const m = mfcc(s2, 4);
  assert.deepEqual(m.shape, [1, 2, 4]);
  near(values(m), [-4.259338855743408, 6.334296226501465, -0.25715771317481995, -0.393903911113739, -4.168371677398682, 6.2677001953125, -0.2298194020986557, -0.39615195989608765]);
  // silence: every band at the 1e-12 floor
  near(values(mfcc(tf.zeros([1, 1, 17]), 3)), [-95.71666717529297, 0, 0]);
});
