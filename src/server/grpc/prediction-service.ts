/**
 * `tensorflow.serving.PredictionService`: Predict, Classify, Regress, MultiInference and
 * GetModelMetadata over the shared request implementations in src/servables (the same
 * code REST uses), with the gRPC-specific parts here: proto ↔ request mapping, the
 * TensorProto codec, and the SignatureDefMap packed in an Any.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { InputObj } from '../../tensor/inference-types.js';
import { runClassify, runRegress } from '../../servables/classify-regress.js';
import { getModelMetadata } from '../../servables/metadata.js';
import { type ModelSpec, modelSpecFromProto } from '../../servables/model-spec.js';
import { runMultiInference } from '../../servables/multi-inference.js';
import { type PredictCall, type PredictResult, type RequestOptions, runPredict, startPredict } from '../../servables/predict.js';
import type { ModelServable, SignatureSpec } from '../../core/servable.js';
import type { Tensor } from '../../tensor/tensor.js';
import { RequestBudget } from '../../tensor/limits.js';
import { type ContentAlloc, type TensorProtoLike, requestTensorFromProto } from '../../tensor/tensor-proto.js';
import {
  type ClassifyRegressRequestMsg,
  type GetModelMetadataRequestMsg,
  type InputMsg,
  type ModelSpecMsg,
  type MultiInferenceRequestMsg,
  PREDICTION_SERVICE,
  type PredictReply,
  type PredictRequestMsg,
  modelSpecObject,
  packSignatureDefMap,
} from './codec.js';
import { type GrpcHandlerEnv, type UnaryReply, unaryCallbackHandler, unaryHandler } from './handler.js';
import { TensorLease } from './tensor-pool.js';

/** The request's ModelSpec in the shared form (undefined when the request has none). */
export function modelSpecOf(msg: ModelSpecMsg | null | undefined): ModelSpec | undefined {
  return modelSpecFromProto(msg);
}

/**
 * The request's tensors for the shared Predict implementation. Every tensor is decoded at
 * once (one plain object, the common case); when any of them fails to decode (or to fit the
 * request's limits), the request gets {@link lazyTensorView} instead, so the error is
 * reported where upstream reports it.
 */
export function lazyTensors(protos: Readonly<Record<string, TensorProtoLike>>, alloc?: ContentAlloc): Readonly<Record<string, Tensor>> {
  return decodeAll(protos, alloc) ?? lazyTensorView(protos, alloc);
}

/** Every tensor decoded, or undefined when one of them fails (or an alias needs the careful path). */
function decodeAll(protos: Readonly<Record<string, TensorProtoLike>>, alloc: ContentAlloc | undefined): Record<string, Tensor> | undefined {
  const out: Record<string, Tensor> = {};
  const budget = new RequestBudget();
  try {
    for (const alias of Object.keys(protos)) {
      // A plain assignment to '__proto__' would set the prototype instead of a key.
      if (alias === '__proto__') return undefined;
      out[alias] = requestTensorFromProto(protos[alias], alias, budget, alloc);
    }
  } catch {
    return undefined;
  }
  return out;
}

/**
 * Request tensors decoded on first access. The shared Predict implementation checks the
 * input count before it reads any tensor and reads them alias by alias, so a bad tensor
 * is reported (`tensor parsing error: <alias>`) where upstream reports it: after the model,
 * the signature and the input-count checks.
 */
export function lazyTensorView(protos: Readonly<Record<string, TensorProtoLike>>, alloc?: ContentAlloc): Readonly<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  // One budget for the request: the shared limits (rank, elements, bytes) sum its tensors.
  const budget = new RequestBudget();
  for (const alias of Object.keys(protos)) {
    let decoded: Tensor | undefined;
    Object.defineProperty(out, alias, {
      enumerable: true,
      get: () => (decoded ??= requestTensorFromProto(protos[alias], alias, budget, alloc)),
    });
  }
  return out;
}

const nameOf = (req: { model_spec?: ModelSpecMsg | null } | null | undefined): string => req?.model_spec?.name ?? '';

function inputOf(msg: InputMsg | null | undefined): InputObj {
  // Decoded messages carry the oneof members as fields (null when unset), which is the shape the shared code reads.
  return (msg ?? {}) as InputObj;
}

/**
 * A Predict answered through startPredict's callbacks (the common request: a model spec and
 * no output filter): the request's tensors decoded when the signature is known (tensor_content
 * into pooled arrays), the result or the error handed to the call's reply. One object, no
 * promise chain. The pooled arrays go back once the reply is serialized (codec.ts); a failed
 * call keeps them.
 */
class GrpcPredictCall implements PredictCall {
  private readonly lease = new TensorLease();

  constructor(
    private readonly protos: Readonly<Record<string, TensorProtoLike>>,
    private readonly reply: UnaryReply<PredictReply>,
  ) {}

  inputs(_signature: SignatureSpec, _servable: ModelServable): Readonly<Record<string, Tensor>> {
    return lazyTensors(this.protos, this.lease.alloc);
  }

  predicted(result: PredictResult): void {
    this.reply.ok({ outputs: result.outputs, modelSpec: result.modelSpec, serialized: this.lease });
  }

  failed(err: unknown): void {
    this.reply.fail(err);
  }
}

/** Handlers of tensorflow.serving.PredictionService for grpc-js `addService`. */
export function predictionServiceImplementation(env: GrpcHandlerEnv): UntypedServiceImplementation {
  const opts = (signal: AbortSignal): RequestOptions => ({
    api: 'grpc',
    signal,
    enableSignatureMethodNameCheck: env.enableSignatureMethodNameCheck,
  });
  const path = (m: string): string => `/${PREDICTION_SERVICE}/${m}`;

  return {
    // The reply is the result as it is (outputs and modelSpec). startPredict takes the
    // common request (a model spec, no output filter) without a promise chain; runPredict the
    // rest, with the same steps, order and errors.
    Predict: unaryCallbackHandler<PredictRequestMsg, PredictReply>(env, path('Predict'), nameOf, (req, signal, reply) => {
      const protos = req.inputs ?? {};
      const modelSpec = modelSpecOf(req.model_spec);
      const outputFilter = req.output_filter ?? [];
      if (modelSpec && outputFilter.length === 0) {
        startPredict(env.core, modelSpec, new GrpcPredictCall(protos, reply), opts(signal));
        return;
      }
      runPredict(env.core, { modelSpec, inputs: () => lazyTensors(protos), outputFilter }, opts(signal)).then(
        (res) => reply.ok(res),
        (err: unknown) => reply.fail(err),
      );
    }),

    Classify: unaryHandler<ClassifyRegressRequestMsg, object>(env, path('Classify'), nameOf, async (req, signal) => {
      const res = await runClassify(env.core, { modelSpec: modelSpecOf(req.model_spec), input: inputOf(req.input) }, opts(signal));
      return { result: res.result, model_spec: modelSpecObject(res.modelSpec) };
    }),

    Regress: unaryHandler<ClassifyRegressRequestMsg, object>(env, path('Regress'), nameOf, async (req, signal) => {
      const res = await runRegress(env.core, { modelSpec: modelSpecOf(req.model_spec), input: inputOf(req.input) }, opts(signal));
      return { result: res.result, model_spec: modelSpecObject(res.modelSpec) };
    }),

    MultiInference: unaryHandler<MultiInferenceRequestMsg, object>(
      env,
      path('MultiInference'),
      (req) => req.tasks?.[0]?.model_spec?.name ?? '',
      async (req, signal) => {
        const tasks = (req.tasks ?? []).map((t) => ({
          modelSpec: modelSpecOf(t.model_spec),
          methodName: t.method_name ?? '',
        }));
        const res = await runMultiInference(env.core, { tasks, input: inputOf(req.input) }, opts(signal));
        return {
          results: res.results.map((r) => ({
            model_spec: modelSpecObject(r.modelSpec),
            ...(r.classificationResult ? { classification_result: r.classificationResult } : {}),
            ...(r.regressionResult ? { regression_result: r.regressionResult } : {}),
          })),
        };
      },
    ),

    GetModelMetadata: unaryHandler<GetModelMetadataRequestMsg, object>(env, path('GetModelMetadata'), nameOf, async (req) => {
      const res = await getModelMetadata(env.core, {
        modelSpec: modelSpecOf(req.model_spec),
        metadataFields: req.metadata_field ?? [],
      });
      return {
        model_spec: modelSpecObject(res.modelSpec),
        metadata: { signature_def: packSignatureDefMap(res.signatureDefMap) },
      };
    }),
  };
}
