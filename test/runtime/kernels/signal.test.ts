/**
 * RFFT/IRFFT with `fft_length` and a broadcasting `Complex` (kernels/signal.ts), against TF 2.21
 * (x = [[1, 2, -1, 0.5, 3, -2]], the Python call in each comment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { SIGNAL_KERNELS } from '../../../src/runtime/kernels/signal.js';
import { run, values } from './helpers.js';

const close = (got: number[], want: number[]): void => {
  assert.equal(got.length, want.length, `${got.length} values, want ${want.length}`);
  got.forEach((g, j) => assert.ok(Math.abs(g - want[j]!) <= 1e-5 + 1e-5 * Math.abs(want[j]!), `[${j}] ${g} vs ${want[j]}`));
};
const parts = (t: tf.Tensor): [number[], number[]] => [values(tf.real(t)), values(tf.imag(t))];
const x = (): tf.Tensor => tf.tensor2d([[1, 2, -1, 0.5, 3, -2]]);
const len = (n: number): tf.Tensor => tf.tensor1d([n], 'int32');

test('RFFT crops or zero-pads the input to fft_length, as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.signal.rfft(x, [4]): 3 bins (tfjs's rfft ignored fft_length and gave 4)
  const crop = run(SIGNAL_KERNELS, '_TfsRFFT', [x(), len(4)])[0]!;
  assert.deepEqual(crop.shape, [1, 3]);
  const [cr, ci] = parts(crop);
  close(cr, [2.5, 2, -2.5]);
  close(ci, [0, -1.5, 0]);
  // tf.signal.rfft(x, [8])
  const pad = run(SIGNAL_KERNELS, '_TfsRFFT', [x(), len(8)])[0]!;
  assert.deepEqual(pad.shape, [1, 5]);
  const [pr, pi] = parts(pad);
  close(pr, [3.5, 0.474874, 5, -4.474874, 2.5]);
  close(pi, [0, -2.18198, 0.5, -4.18198, 0]);
});

test('IRFFT answers fft_length samples, odd lengths too, as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  const spec = tf.spectral.rfft(x());
  // tf.signal.irfft(tf.signal.rfft(x), [5])
  const odd = run(SIGNAL_KERNELS, '_TfsIRFFT', [spec, len(5)])[0]!;
  assert.deepEqual(odd.shape, [1, 5]);
  close(values(odd), [0.7, 2.1053116, -1.7120384, 3.5592518, -1.152525]);
  // tf.signal.irfft(tf.signal.rfft(x), [8]): the 4 bins zero-padded to 5
  close(values(run(SIGNAL_KERNELS, '_TfsIRFFT', [spec, len(8)])[0]!), [1.0625, 1.6392208, 0.3125, -0.7642207, 0.0625, 2.699881, 0.3125, -1.8248808]);
  close(values(run(SIGNAL_KERNELS, '_TfsIRFFT', [spec, len(6)])[0]!), [1, 2, -1, 0.5, 3, -2]);
});

test('Complex broadcasts a scalar with a vector, as TF', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.complex(1.5, [1.0, 2.0]) = [1.5+1j, 1.5+2j] (tf.signal.dct builds one)
  const c = run(SIGNAL_KERNELS, '_TfsComplex', [tf.scalar(1.5), tf.tensor1d([1, 2])])[0]!;
  assert.deepEqual(parts(c), [[1.5, 1.5], [1, 2]]);
});
