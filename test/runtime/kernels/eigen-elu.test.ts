/**
 * `_TfsElu` / `_TfsSelu` against TensorFlow 2.21's tf.nn.elu / tf.nn.selu on x86-64
 * (fixtures/elu-cases.json, written by fixtures/elu_cases.py): bit for bit on edges
 * (exp's flush below -87.34, infinities, NaN, signed zeros, denormal inputs) and on samples
 * where tfjs's expm1-based values differ; the tail takes expf as TF's does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EIGEN_ELU_KERNELS, ELU_OP, SELU_OP, tfEluFloat32, tfSeluFloat32 } from '../../../src/runtime/kernels/eigen-elu.js';
import { eigenCaseTests } from './eigen-cases.js';

eigenCaseTests('elu-cases.json', EIGEN_ELU_KERNELS, {
  elu: { tfOp: 'Elu', kernelOp: ELU_OP, fn: tfEluFloat32, tfjs: (x) => tf.elu(x) },
  selu: { tfOp: 'Selu', kernelOp: SELU_OP, fn: tfSeluFloat32, tfjs: (x) => tf.selu(x) },
});
