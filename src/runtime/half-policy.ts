/**
 * float16 and bfloat16 without wrong answers. tfjs has neither: tfs carries them as float32.
 * TF rounds every op's result to the type, so a chain of ops computed in float32 drifts from
 * TF's values (a Keras `mixed_float16` model's Dense/Conv layers gave float32 outputs 2e-4
 * off). The freezer therefore rounds the result of each op below to the type
 * (`_TfsRoundHalf`, kernels/half.ts): each is one correctly rounded operation, or (MatMul,
 * Conv2D) accumulates in float32 as TF's Eigen kernels do, so rounding gives TF's value.
 * Ops that need no rounding (moving, comparing, picking: float64-policy.ts's list) pass.
 * Every other op computing in these types (reductions and composite kernels such as Sum,
 * Mean, Softmax, FusedBatchNorm, which TF accumulates in the narrow type) is refused at
 * load, named `<Op> on float16`.
 */
import { EXACT_F64_OPS } from './float64-policy.js';

export const HALF_ROUND_OP = '_TfsRoundHalf';
/** Sigmoid computed step by step in the narrow type, as TF's Eigen kernel does (kernels/half.ts). */
export const HALF_SIGMOID_OP = '_TfsNarrowSigmoid';

/** Ops whose float32 result rounded to the narrow type equals TF's. */
const ROUNDED_OPS = new Set([
  'AddV2', 'Add', 'Sub', 'Mul', 'RealDiv', 'Div', 'Square', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Inv',
  'Exp', 'Expm1', 'Log', 'Log1p', 'Tanh', 'Relu6', 'Elu', 'Selu', 'Softplus', 'Softsign', 'Erf',
  'Sin', 'Cos', 'SquaredDifference', 'BiasAdd', 'Cast', 'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3',
  'Conv2D', 'Round', 'Rint', 'ClipByValue', 'LeakyRelu', 'FloorDiv', 'FloorMod',
]);
/**
 * Ops whose TF result on one of the types is not the float32 result rounded, with no kernel
 * here that reproduces it (checked against TF 2.21 on CPU, fixconv branch): bfloat16 Conv2D,
 * DepthwiseConv2dNative and BiasAdd (oneDNN's bfloat16 kernels; a bfloat16 depthwise gave 0s),
 * float16 DepthwiseConv2dNative (off by 1-2 units in the last place).
 */
const NOT_ROUNDED: Readonly<Record<'half' | 'bfloat16', ReadonlySet<string>>> = {
  half: new Set(['DepthwiseConv2dNative']),
  bfloat16: new Set(['Conv2D', 'DepthwiseConv2dNative', 'BiasAdd']),
};
/** Ops run by a kernel of their own that computes as TF does in the narrow type. */
const NARROW_KERNELS: ReadonlyMap<string, string> = new Map([['Sigmoid', HALF_SIGMOID_OP]]);
const TYPE_ATTRS = ['T', 'dtype', 'Tparams', 'SrcT', 'DstT', 'output_type'];
const NARROW: Readonly<Record<string, 'half' | 'bfloat16'>> = { DT_HALF: 'half', DT_BFLOAT16: 'bfloat16' };
const short = (k: 'half' | 'bfloat16'): string => (k === 'half' ? 'float16' : 'bfloat16');

/** `op`: the kernel that replaces the node's op, when it needs one (rounded after all the same). */
export type HalfPlan = { refuse: string } | { round: 'half' | 'bfloat16'; op?: string } | undefined;

/**
 * What a node computing in float16/bfloat16 needs; `typeOf(attr)` gives a dtype attr (`DT_*`, '' when absent),
 * `format` its data_format. TF's CPU Conv2D computes float16 in NHWC only ("only supports the NHWC tensor
 * format on the CPU", at run): refused at load here.
 */
export function halfPlan(op: string, typeOf: (attr: string) => string, format = ''): HalfPlan {
  const out = NARROW[op === 'Cast' ? typeOf('DstT') : typeOf('T')];
  if (op === 'Cast') return out ? { round: out } : undefined;
  const narrow = TYPE_ATTRS.map((a) => NARROW[typeOf(a)]).find((k) => k !== undefined);
  if (!narrow || EXACT_F64_OPS.has(op)) return undefined;
  if (out && NOT_ROUNDED[narrow].has(op)) return { refuse: `${op} on ${short(narrow)}` };
  if (op === 'Conv2D' && format === 'NCHW') return { refuse: `${op} on ${short(narrow)} with data_format NCHW` };
  const kernel = NARROW_KERNELS.get(op);
  if (kernel && out) return { round: out, op: kernel };
  if (ROUNDED_OPS.has(op) && out) return { round: out };
  return { refuse: `${op} on ${short(narrow)}` };
}
