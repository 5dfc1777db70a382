/**
 * `_TfsSoftplus` against TensorFlow 2.21's tf.math.softplus on x86-64
 * (fixtures/softplus-cases.json, written by fixtures/softplus_cases.py): bit for bit on edges
 * (both thresholds at +-13.9424, exp's flush, infinities, NaN, signed zeros, denormals) and
 * on samples where tfjs's softplus differs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EIGEN_SOFTPLUS_KERNELS, SOFTPLUS_OP, tfSoftplusFloat32 } from '../../../src/runtime/kernels/eigen-softplus.js';
import { eigenCaseTests } from './eigen-cases.js';

eigenCaseTests('softplus-cases.json', EIGEN_SOFTPLUS_KERNELS, {
  softplus: { tfOp: 'Softplus', kernelOp: SOFTPLUS_OP, fn: tfSoftplusFloat32, tfjs: (x) => tf.softplus(x), minDiffer: 50, otherType: 'DT_DOUBLE' },
});
