/**
 * `_TfsLog1p` / `_TfsExpm1` against TensorFlow 2.21's tf.math.log1p / tf.math.expm1 on x86-64
 * (fixtures/log1p-expm1-cases.json, written by fixtures/log1p_expm1_cases.py): bit for bit,
 * NaN bits included, on edges (-1, below -1, exp's overflow and flush, infinities, NaN, signed
 * zeros, denormals) and on samples where tfjs's values differ; the tail takes log1pf / expm1f.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EIGEN_LOG1P_EXPM1_KERNELS, EXPM1_OP, LOG1P_OP, tfExpm1Float32, tfLog1pFloat32 } from '../../../src/runtime/kernels/eigen-log1p-expm1.js';
import { eigenCaseTests } from './eigen-cases.js';

eigenCaseTests('log1p-expm1-cases.json', EIGEN_LOG1P_EXPM1_KERNELS, {
  log1p: { tfOp: 'Log1p', kernelOp: LOG1P_OP, fn: tfLog1pFloat32, tfjs: (x) => tf.log1p(x) },
  expm1: { tfOp: 'Expm1', kernelOp: EXPM1_OP, fn: tfExpm1Float32, tfjs: (x) => tf.expm1(x) },
});
