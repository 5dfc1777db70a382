/**
 * MultiInference: several Classify/Regress tasks over one set of tf.Examples
 * (upstream multi_inference.cc and multi_inference_helper.cc).
 *
 * Upstream resolves the model from `tasks[0].model_spec` (an absent spec counts as an
 * empty one), then checks every task in order: a non-empty model name, the same name as
 * the first task, a signature (default `serving_default`) not evaluated twice and present
 * in the model, a method_name of classify or regress whose signature passes the same
 * checks as Classify/Regress, and one shared input tensor. The examples are fed once and
 * each task's result is built from its signature's outputs, in request order.
 *
 * tfs runs each task's signature on the same serialized examples (the servable API runs
 * one signature at a time), which gives upstream's results for the stateless models
 * Classify/Regress signatures describe.
 */
import type { ServerCoreApi } from '../core/server-core-api.js';
import { refuseUnservedSignature } from '../core/servable.js';
import { Errors, abortError } from '../errors.js';
import type { ClassificationResultObj, InputObj, RegressionResultObj } from '../tensor/inference-types.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  classificationResultFrom,
  examplesTensor,
  regressionResultFrom,
  serializeInputExamples,
  validateClassificationSignature,
  validateRegressionSignature,
} from './classify-regress.js';
import { type ModelSpec, signatureKeyOf } from './model-spec.js';
import {
  CLASSIFY_METHOD,
  REGRESS_METHOD,
  type RequestOptions,
  type ResolvedModelSpec,
  raceAbort,
  withServable,
} from './predict.js';

/** One `tensorflow.serving.InferenceTask`. */
export interface InferenceTaskRequest {
  readonly modelSpec?: ModelSpec | undefined;
  /** `tensorflow/serving/classify` or `tensorflow/serving/regress`. */
  readonly methodName: string;
}

export interface MultiInferenceRequest {
  readonly tasks: readonly InferenceTaskRequest[];
  readonly input: InputObj;
}

/** One `tensorflow.serving.InferenceResult`: exactly one of the two results is set. */
export interface InferenceResultObj {
  readonly modelSpec: ResolvedModelSpec;
  readonly classificationResult?: ClassificationResultObj;
  readonly regressionResult?: RegressionResultObj;
}

export interface MultiInferenceResult {
  readonly results: InferenceResultObj[];
}

interface TaskPlan {
  readonly key: string;
  readonly inputAlias: string;
  readonly kind: 'classify' | 'regress';
  readonly outputAliases: string[];
}

/** Run a MultiInference request end to end (gRPC `MultiInference`). Throws TfsError with upstream's texts. */
export async function runMultiInference(
  core: ServerCoreApi,
  req: MultiInferenceRequest,
  opts: RequestOptions,
): Promise<MultiInferenceResult> {
  // multi_inference_helper.cc: the first task's spec, or an empty spec (→ "ModelSpec has no name specified.").
  const first: ModelSpec = req.tasks[0]?.modelSpec ?? { name: '' };
  return withServable(core, first, async (handle, keepAlive) => {
    const servable = handle.servable;
    let modelName = '';
    let inputTensorName: string | undefined;
    const seen = new Set<string>();
    const plans: TaskPlan[] = [];
    for (const task of req.tasks) {
      const name = task.modelSpec?.name ?? '';
      if (name === '') throw Errors.multiInferenceEmptyModelName();
      if (modelName === '') modelName = name;
      else if (modelName !== name) throw Errors.multiInferenceModelMismatch();
      const key = signatureKeyOf(task.modelSpec);
      if (seen.has(key)) throw Errors.duplicateSignatureEvaluation(key);
      seen.add(key);
      const sig = servable.signatures.get(key);
      if (!sig) throw Errors.signatureNotInGraph(key);
      refuseUnservedSignature(servable, key);
      let kind: TaskPlan['kind'];
      let plan;
      if (task.methodName === CLASSIFY_METHOD) {
        kind = 'classify';
        plan = validateClassificationSignature(servable, key, sig);
      } else if (task.methodName === REGRESS_METHOD) {
        kind = 'regress';
        plan = validateRegressionSignature(servable, key, sig);
      } else {
        throw Errors.unsupportedSignatureMethod(task.methodName);
      }
      // Upstream feeds one graph tensor for all tasks, so their inputs must be the same
      // tensor. TF2 exports give every signature its own placeholder for the same
      // serialized examples (classify_x_to_y_inputs:0, regress_x_to_y_inputs:0), and
      // upstream's testMultiInferenceTf2 expects them to work together; tfs runs each
      // signature on the examples, so any DT_STRING examples input is accepted. Other
      // differing inputs keep upstream's error.
      const input = sig.inputs[plan.inputAlias]!;
      const inputKey = input.dtype === 'DT_STRING' ? '\u0000serialized tf.Example' : input.name;
      if (inputTensorName === undefined) inputTensorName = inputKey;
      else if (inputTensorName !== inputKey) throw Errors.inputTensorNotShared();
      plans.push({ key, kind, inputAlias: plan.inputAlias, outputAliases: plan.outputAliases });
    }

    const serialized = serializeInputExamples(req.input);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const runs = plans.map((p, i) =>
      servable.run(
        p.key,
        // Each run gets its own copy of the examples: a runtime may take ownership of its feeds.
        { [p.inputAlias]: examplesTensor(i === 0 ? serialized : serialized.map((b) => b.slice())) },
        { outputFilter: p.outputAliases, ...(opts.signal ? { signal: opts.signal } : {}) },
      ),
    );
    const all = Promise.all(runs);
    // Keep the handle until every run settles, even when one fails or the call is aborted.
    keepAlive(Promise.allSettled(runs));
    const outputs: Record<string, Tensor>[] = await raceAbort(all, opts.signal);

    const version = handle.version;
    const results = plans.map((p, i): InferenceResultObj => {
      const modelSpec = { name: modelName, version, signatureName: p.key };
      const out = outputs[i]!;
      return p.kind === 'classify'
        ? { modelSpec, classificationResult: classificationResultFrom(out, serialized.length) }
        : { modelSpec, regressionResult: regressionResultFrom(out, serialized.length) };
    });
    return { results };
  });
}
