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

test('RFFT transforms in double and rounds once: within a float32 ulp of the exact DFT, odd lengths too', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // 128 samples of sin(0.3 k) + 0.001 k; numpy's double rfft gives bin 3 = 0.64285185 - 0.53051113i and
  // bin 60 = -0.40443873 + 0.03879433i (tfjs's float32 FFT was ~1e-6 off on such small bins)
  const x = tf.tensor2d([Array.from({ length: 128 }, (_, k) => Math.fround(Math.fround(Math.sin(k * 0.3)) + Math.fround(Math.fround(0.001) * k)))]);
  const [re, im] = parts(run(SIGNAL_KERNELS, '_TfsRFFT', [x, len(128)])[0]!);
  const ulp = (want: number, got: number): void => assert.ok(Math.abs(got - want) <= 2e-7 * Math.abs(want) + 1e-7, `${got} vs ${want}`);
  ulp(0.6428518507718916, re[3]!);
  ulp(-0.5305111260683009, im[3]!);
  ulp(-0.404438725828501, re[60]!);
  ulp(0.038794327597940326, im[60]!);
  // 7 samples (Bluestein): np.fft.rfft([1, 2, -1, .5, 3, -2, .25])
  const seven = run(SIGNAL_KERNELS, '_TfsRFFT', [tf.tensor2d([[1, 2, -1, 0.5, 3, -2, 0.25]]), len(7)])[0]!;
  const [sr, si] = parts(seven);
  close(sr, [3.75, -0.08297618160737308, 5.384448808811117, -3.6764726272037436]);
  close(si, [0, -1.2584236587069806, -3.226818813370708, 2.4598547194668625]);
});

test('complex64 Exp and StridedSlice (tf.signal.dct builds its twiddles and crops its rfft so)', async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
  // tf.exp(tf.complex([0., 1.], [pi / 2, pi])) = [0+1j, -e+0j]
  const e = run(SIGNAL_KERNELS, '_TfsComplexExp', [tf.complex(tf.tensor1d([0, 1]), tf.tensor1d([Math.PI / 2, Math.PI]))])[0]!;
  const [er, ei] = parts(e);
  close(er, [0, -Math.E]);
  close(ei, [1, 0]);
  // tf.complex([[1., 2., 3.]], [[4., 5., 6.]])[:, 1:] = [[2+5j, 3+6j]]
  const c = tf.complex(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[4, 5, 6]]));
  const sl = run(SIGNAL_KERNELS, '_TfsComplexStridedSlice', [c, tf.tensor1d([0, 1], 'int32'), tf.tensor1d([0, 0], 'int32'), tf.tensor1d([1, 1], 'int32')], {
    begin_mask: { i: 1 },
    end_mask: { i: 3 },
  })[0]!;
  assert.deepEqual(sl.shape, [1, 2]);
  assert.deepEqual(parts(sl), [[2, 3], [5, 6]]);
});
