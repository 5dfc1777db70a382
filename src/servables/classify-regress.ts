/**
 * Classify and Regress: the one implementation behind REST `:classify`/`:regress` and
 * gRPC `Classify`/`Regress` (and the pieces MultiInference reuses).
 *
 * As upstream (classifier.cc, regressor.cc, util.cc): the request's tf.Examples are
 * serialized into a DT_STRING vector `[num_examples]` fed to the signature's `inputs`
 * alias (with a context Example, each element is serialize(context) ++ serialize(example),
 * which protobuf parsing treats as a merge); the signature is validated first and the
 * outputs are checked and turned into ClassificationResult / RegressionResult.
 */
import type { ServerCoreApi } from '../core/server-core-api.js';
import { Errors, abortError } from '../errors.js';
import { lookupType } from '../proto/root.js';
import textformat from 'protobufjs/ext/textformat.js';
import type protobuf from 'protobufjs';
import { fromUtf8, shapeString, type Tensor } from '../tensor/tensor.js';
import { type ModelSpec, signatureKeyOf } from './model-spec.js';
import {
  CLASSIFY_METHOD,
  REGRESS_METHOD,
  type RequestOptions,
  type ResolvedModelSpec,
  raceAbort,
  withServable,
} from './predict.js';
import { signatureDefsOf } from './metadata.js';
import { refuseUnservedSignature, type ModelServable, type SignatureSpec } from '../core/servable.js';
import type {
  ClassObj,
  ClassificationResultObj,
  ExampleObj,
  InputObj,
  RegressionResultObj,
} from '../tensor/inference-types.js';

export interface ClassifyRegressRequest {
  modelSpec?: ModelSpec | undefined;
  input: InputObj;
}

export interface ClassifyResult {
  result: ClassificationResultObj;
  modelSpec: ResolvedModelSpec;
}
export interface RegressResult {
  result: RegressionResultObj;
  modelSpec: ResolvedModelSpec;
}

/** The input alias of classify/regress signatures (`kClassifyInputs` / `kRegressInputs`). */
export const EXAMPLES_INPUT = 'inputs';
export const CLASSES_OUTPUT = 'classes';
export const SCORES_OUTPUT = 'scores';
export const REGRESS_OUTPUT = 'outputs';

let exampleType: protobuf.Type | undefined;
function exampleMessageType(): protobuf.Type {
  exampleType ??= lookupType('tensorflow.Example');
  return exampleType;
}

/** Serialize one tf.Example given as a plain object (or a decoded message). */
export function serializeExample(ex: ExampleObj | null | undefined): Uint8Array {
  if (!ex) return new Uint8Array(0);
  const T = exampleMessageType();
  return T.encode(T.fromObject(ex)).finish();
}

/**
 * The DT_STRING values fed to `inputs`: one serialized Example per request example,
 * prefixed with the serialized context when the input has one.
 * Throws INVALID_ARGUMENT `Input is empty.` when there are no examples.
 */
export function serializeInputExamples(input: InputObj | null | undefined): Uint8Array[] {
  const obj = (input ?? {}) as Record<string, unknown>;
  let examples: readonly ExampleObj[] = [];
  let context: Uint8Array | undefined;
  if (obj['example_list']) {
    examples = ((obj['example_list'] as { examples?: readonly ExampleObj[] | null }).examples ?? []) as ExampleObj[];
  } else if (obj['example_list_with_context']) {
    const l = obj['example_list_with_context'] as { examples?: readonly ExampleObj[] | null; context?: ExampleObj | null };
    examples = l.examples ?? [];
    context = serializeExample(l.context);
  }
  if (examples.length === 0) throw Errors.inputIsEmpty();
  return examples.map((ex) => {
    const bytes = serializeExample(ex);
    if (!context || context.length === 0) return bytes;
    const joined = new Uint8Array(context.length + bytes.length);
    joined.set(context, 0);
    joined.set(bytes, context.length);
    return joined;
  });
}

/** The serialized examples as the DT_STRING `[n]` tensor fed to the model. */
export function examplesTensor(serialized: Uint8Array[]): Tensor {
  return { dtype: 'DT_STRING', shape: [serialized.length], data: serialized };
}

/**
 * The SignatureDef in protobuf text format, as C++ `DebugString()` prints it in upstream's
 * error messages. Falls back to a rendering of the SignatureSpec when the servable's
 * signatureDefMap has no entry for the key.
 */
export function signatureDebugString(servable: ModelServable, key: string): string {
  const def = signatureDefOf(servable, key);
  const T = lookupType('tensorflow.SignatureDef');
  try {
    const obj = { ...(def ?? signatureDefFromSpec(servable.signatures.get(key))) };
    // The C++ text printer writes map entries sorted by key.
    for (const field of ['inputs', 'outputs', 'defaults']) {
      const m = obj[field] as Record<string, unknown> | undefined;
      if (m) obj[field] = Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
    }
    const msg = T.fromObject(obj);
    const text = textformat.toText(T, msg);
    // C++ DebugString ends every field line, the last one included, with a newline.
    return text === '' || text.endsWith('\n') ? text : `${text}\n`;
  } catch {
    return '';
  }
}

/** One SignatureDef (plain object) from a servable's signatureDefMap. */
export function signatureDefOf(servable: ModelServable, key: string): Record<string, unknown> | undefined {
  return signatureDefsOf(servable)[key] as Record<string, unknown> | undefined;
}

function signatureDefFromSpec(sig: SignatureSpec | undefined): Record<string, unknown> {
  if (!sig) return {};
  const info = (specs: SignatureSpec['inputs']): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(specs).map(([alias, s]) => [
        alias,
        {
          name: s.name,
          dtype: s.dtype,
          tensor_shape: s.shape === null ? { unknown_rank: true } : { dim: s.shape.map((size) => ({ size })) },
        },
      ]),
    );
  return { inputs: info(sig.inputs), outputs: info(sig.outputs), method_name: sig.methodName };
}

/** Look up a classify/regress signature (`No signature was found with the name: s`). */
export function classifyRegressSignature(servable: ModelServable, key: string): SignatureSpec {
  const sig = servable.signatures.get(key);
  if (!sig) throw Errors.classifyRegressSignatureNotFound(key);
  refuseUnservedSignature(servable, key);
  return sig;
}

/** What a validated classification signature is run with. */
export interface ClassificationPlan {
  inputAlias: string;
  /** `classes` and/or `scores`, in that order. */
  outputAliases: string[];
}

/** Upstream's PreProcessClassification checks. */
export function validateClassificationSignature(
  servable: ModelServable,
  key: string,
  sig: SignatureSpec,
  opts: Pick<RequestOptions, 'enableSignatureMethodNameCheck'> = {},
): ClassificationPlan {
  if (opts.enableSignatureMethodNameCheck && sig.methodName !== CLASSIFY_METHOD) {
    throw Errors.classifyMethodName(sig.methodName);
  }
  const nIn = Object.keys(sig.inputs).length;
  const nOut = Object.keys(sig.outputs).length;
  if (nIn !== 1) throw Errors.expectedOneInputTensor();
  if (nOut !== 1 && nOut !== 2) throw Errors.expectedOneOrTwoOutputTensors(nOut);
  if (!Object.hasOwn(sig.inputs, EXAMPLES_INPUT)) throw Errors.noClassificationInputs(signatureDebugString(servable, key));
  const outputAliases: string[] = [];
  if (Object.hasOwn(sig.outputs, CLASSES_OUTPUT)) outputAliases.push(CLASSES_OUTPUT);
  if (Object.hasOwn(sig.outputs, SCORES_OUTPUT)) outputAliases.push(SCORES_OUTPUT);
  if (outputAliases.length === 0) throw Errors.noClassificationOutputs(signatureDebugString(servable, key));
  return { inputAlias: EXAMPLES_INPUT, outputAliases };
}

/** Upstream's PreProcessRegression checks. */
export function validateRegressionSignature(
  servable: ModelServable,
  key: string,
  sig: SignatureSpec,
  opts: Pick<RequestOptions, 'enableSignatureMethodNameCheck'> = {},
): ClassificationPlan {
  if (opts.enableSignatureMethodNameCheck && sig.methodName !== REGRESS_METHOD) {
    throw Errors.regressMethodName(sig.methodName);
  }
  if (Object.keys(sig.inputs).length !== 1) throw Errors.expectedOneInputTensor();
  if (Object.keys(sig.outputs).length !== 1) throw Errors.expectedOneOutputTensor();
  if (!Object.hasOwn(sig.inputs, EXAMPLES_INPUT)) throw Errors.noRegressionInputs(signatureDebugString(servable, key));
  if (!Object.hasOwn(sig.outputs, REGRESS_OUTPUT)) throw Errors.noRegressionOutputs(signatureDebugString(servable, key));
  return { inputAlias: EXAMPLES_INPUT, outputAliases: [REGRESS_OUTPUT] };
}

function dim(t: Tensor, i: number): number {
  return t.shape[i] ?? 0;
}

/** Upstream's PostProcessClassificationResult: check outputs, build the result. */
export function classificationResultFrom(
  outputs: Readonly<Record<string, Tensor>>,
  numExamples: number,
): ClassificationResultObj {
  const classes = outputs[CLASSES_OUTPUT];
  const scores = outputs[SCORES_OUTPUT];
  if (classes) {
    if (classes.shape.length !== 2) throw Errors.classifyOutputRank(shapeString(classes.shape));
    if (classes.dtype !== 'DT_STRING') throw Errors.classesDtype(classes.dtype);
    if (dim(classes, 0) !== numExamples) throw Errors.classifyBatchSize('classes', numExamples, dim(classes, 0));
  }
  if (scores) {
    if (scores.shape.length !== 2) throw Errors.classifyOutputRank(shapeString(scores.shape));
    if (scores.dtype !== 'DT_FLOAT') throw Errors.scoresDtype(scores.dtype);
    if (dim(scores, 0) !== numExamples) throw Errors.classifyBatchSize('scores', numExamples, dim(scores, 0));
  }
  let numClasses = 0;
  if (classes && scores) {
    if (dim(classes, 1) !== dim(scores, 1)) throw Errors.classesScoresMismatch(dim(classes, 1), dim(scores, 1));
    numClasses = dim(classes, 1);
  } else if (classes) {
    numClasses = dim(classes, 1);
  } else if (scores) {
    numClasses = dim(scores, 1);
  }
  const labels = classes?.data as Uint8Array[] | undefined;
  const values = scores?.data as Float32Array | undefined;
  const classifications: { classes: ClassObj[] }[] = [];
  for (let i = 0; i < numExamples; i++) {
    const row: ClassObj[] = [];
    for (let c = 0; c < numClasses; c++) {
      const k = i * numClasses + c;
      row.push({ label: labels ? fromUtf8(labels[k]!) : '', score: values ? values[k]! : 0 });
    }
    classifications.push({ classes: row });
  }
  return { classifications };
}

/** Upstream's PostProcessRegressionResult: check the output, build the result. */
export function regressionResultFrom(
  outputs: Readonly<Record<string, Tensor>>,
  numExamples: number,
): RegressionResultObj {
  const out = outputs[REGRESS_OUTPUT];
  if (!out) throw Errors.outputTensorMissing(REGRESS_OUTPUT);
  const rank = out.shape.length;
  if (!(rank === 1 || (rank === 2 && out.shape[1] === 1))) throw Errors.regressOutputShape(shapeString(out.shape));
  if (dim(out, 0) !== numExamples) throw Errors.regressBatchMismatch(numExamples, dim(out, 0));
  if (out.dtype !== 'DT_FLOAT') throw Errors.regressDtype(out.dtype);
  if (out.data.length !== numExamples) throw Errors.regressSize(numExamples, out.data.length);
  const data = out.data as Float32Array;
  const regressions: { value: number }[] = [];
  for (let i = 0; i < numExamples; i++) regressions.push({ value: data[i]! });
  return { regressions };
}

async function runExamples<R>(
  core: ServerCoreApi,
  req: ClassifyRegressRequest,
  opts: RequestOptions,
  validate: typeof validateClassificationSignature,
  post: (outputs: Readonly<Record<string, Tensor>>, n: number) => R,
): Promise<{ result: R; modelSpec: ResolvedModelSpec }> {
  const spec = req.modelSpec;
  return withServable(core, spec, async (handle, keepAlive) => {
    const servable = handle.servable;
    const key = signatureKeyOf(spec);
    const sig = classifyRegressSignature(servable, key);
    const plan = validate(servable, key, sig, opts);
    const serialized = serializeInputExamples(req.input);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const run = servable.run(
      key,
      { [plan.inputAlias]: examplesTensor(serialized) },
      { outputFilter: plan.outputAliases, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    keepAlive(run);
    const outputs = await raceAbort(run, opts.signal);
    return {
      result: post(outputs, serialized.length),
      modelSpec: { name: spec!.name, version: handle.version, signatureName: key },
    };
  });
}

/** Run a Classify request end to end (gRPC Classify, REST `:classify`). */
export function runClassify(
  core: ServerCoreApi,
  req: ClassifyRegressRequest,
  opts: RequestOptions,
): Promise<ClassifyResult> {
  return runExamples(core, req, opts, validateClassificationSignature, classificationResultFrom);
}

/** Run a Regress request end to end (gRPC Regress, REST `:regress`). */
export function runRegress(core: ServerCoreApi, req: ClassifyRegressRequest, opts: RequestOptions): Promise<RegressResult> {
  return runExamples(core, req, opts, validateRegressionSignature, regressionResultFrom);
}
