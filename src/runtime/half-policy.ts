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
  'AddV2', 'Add', 'Sub', 'Mul', 'RealDiv', 'Div', 'Inv', 'Relu6',
  'SquaredDifference', 'BiasAdd', 'Cast', 'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3',
  'Conv2D', 'Round', 'Rint', 'ClipByValue', 'LeakyRelu', 'FloorDiv', 'FloorMod',
]);
/**
 * Unary ops run by `_TfsNarrow<Op>` (kernels/half.ts), which computes each value as TF's CPU
 * kernel does in the narrow type (Elu/Selu/Softplus/Softsign step by step, denormals off, a few
 * inputs where TF's float32 approximations round the other way); rounding a float32 result
 * was WRONG for 9,071 float16 Softplus inputs, 11,558 Softsign, 13,964 Elu, 18,487 Selu and
 * 1-2 each of Tanh/Expm1/Log/Log1p/Erf (probe10, all 2 x 65536 inputs checked).
 */
export const NARROW_UNARY_OPS: readonly string[] = [
  'Elu', 'Selu', 'Softplus', 'Softsign', 'Tanh', 'Expm1', 'Log', 'Log1p', 'Erf', 'Exp', 'Sqrt', 'Rsqrt', 'Reciprocal', 'Square', 'Sin', 'Cos',
];
export const narrowUnaryOp = (op: string): string => `_TfsNarrow${op}`;
/**
 * Ops whose TF result on one of the types is not the float32 result rounded, with no kernel
 * here that reproduces it (checked against TF 2.21 on CPU, fixconv branch): bfloat16 Conv2D,
 * DepthwiseConv2dNative and BiasAdd (oneDNN's bfloat16 kernels; a bfloat16 depthwise gave 0s),
 * float16 DepthwiseConv2dNative (off by 1-2 units in the last place).
 */
const NOT_ROUNDED: Readonly<Record<'half' | 'bfloat16', ReadonlySet<string>>> = {
  half: new Set(['DepthwiseConv2dNative']),
  // bfloat16 Reciprocal: TF's differs for 104 large inputs (1/2.6e33 gives 3.85e-34, not 3.88e-34)
  bfloat16: new Set(['Conv2D', 'DepthwiseConv2dNative', 'BiasAdd', 'Reciprocal', 'Inv']),
};
/** Ops run by a kernel of their own that computes as TF does in the narrow type. */
const NARROW_KERNELS: ReadonlyMap<string, string> = new Map([['Sigmoid', HALF_SIGMOID_OP], ...NARROW_UNARY_OPS.map((op) => [op, narrowUnaryOp(op)] as const)]);
const TYPE_ATTRS = ['T', 'dtype', 'Tparams', 'SrcT', 'DstT', 'output_type'];
const NARROW: Readonly<Record<string, 'half' | 'bfloat16'>> = { DT_HALF: 'half', DT_BFLOAT16: 'bfloat16' };
const short = (k: 'half' | 'bfloat16'): string => (k === 'half' ? 'float16' : 'bfloat16');

/**
 * An Einsum equation TF runs as one BatchMatMul (every label of an input is in the other input
 * or in the output, none repeated, no ellipsis): in float16 TF accumulates that in float32 like
 * MatMul (checked: Keras MultiHeadAttention's equations, 0 of 4,000 float16 results differ from
 * the float32 einsum rounded). Other equations add a Sum in the narrow type first: refused.
 */
export function contractionOnly(equation: string): boolean {
  const [ins, out] = equation.replace(/\s/g, '').split('->');
  if (out === undefined || ins === undefined || equation.includes('.')) return false;
  const ops = ins.split(',');
  if (ops.length !== 2) return false;
  return ops.every((o, i) => new Set(o).size === o.length && [...o].every((l) => out.includes(l) || ops[1 - i]!.includes(l)));
}

/** `op`: the kernel that replaces the node's op, when it needs one (rounded after all the same). */
export type HalfPlan = { refuse: string } | { round: 'half' | 'bfloat16'; op?: string } | undefined;

/**
 * What a node computing in float16/bfloat16 needs; `typeOf(attr)` gives a dtype attr (`DT_*`, '' when absent),
 * `format` its data_format. TF's CPU Conv2D computes float16 in NHWC only ("only supports the NHWC tensor
 * format on the CPU", at run): refused at load here. `equation`: an Einsum's (contractionOnly).
 */
export function halfPlan(op: string, typeOf: (attr: string) => string, format = '', equation = ''): HalfPlan {
  const out = NARROW[op === 'Cast' ? typeOf('DstT') : typeOf('T')];
  if (op === 'Cast') return out ? { round: out } : undefined;
  const narrow = TYPE_ATTRS.map((a) => NARROW[typeOf(a)]).find((k) => k !== undefined);
  if (!narrow || EXACT_F64_OPS.has(op)) return undefined;
  if (out && NOT_ROUNDED[narrow].has(op)) return { refuse: `${op} on ${short(narrow)}` };
  if (op === 'Conv2D' && format === 'NCHW') return { refuse: `${op} on ${short(narrow)} with data_format NCHW` };
  const kernel = NARROW_KERNELS.get(op);
  if (kernel && out) return { round: out, op: kernel };
  if (ROUNDED_OPS.has(op) && out) return { round: out };
  if (op === 'Einsum' && narrow === 'half' && out && contractionOnly(equation)) return { round: out };
  return { refuse: `${op} on ${short(narrow)}` };
}
