/**
 * `inference.GRPCInferenceService` (protos/inference.proto) on the tfs gRPC server, beside
 * PredictionService and ModelService: health, metadata, ModelInfer (typed `contents` or
 * `raw_input_contents`) and the repository RPCs. Calls go through the same wrapper as
 * TF Serving's (handler.ts): the `--grpc_max_threads` cap, deadlines, and errors as gRPC
 * statuses with the error's code (NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE, ...).
 *
 * Outputs come back in `raw_output_contents` when the request sent its inputs raw or asked
 * for binary data (`binary_data_output`, or an output's `binary_data`), else in typed `contents`.
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Errors } from '../../errors.js';
import { lookupType } from '../../proto/root.js';
import { JsonBytes, JsonInt, type JsonValue } from '../../tensor/json-parser.js';
import { type Int64Like, int64ToBigInt, int64ToNumber } from '../../tensor/tensor-proto.js';
import type { Tensor } from '../../tensor/tensor.js';
import { encodePlain } from '../grpc/codec.js';
import { type GrpcHandlerEnv, unaryHandler } from '../grpc/handler.js';
import type { TfsGrpcServer } from '../grpc/server.js';
import { checkShape, dtypeOfV2, tensorFromV2Json, tensorFromV2Raw, tensorToV2Raw } from './datatypes.js';
import { V2_EXTENSIONS, type V2Input, type V2RequestedOutput, runV2Infer, v2ModelMetadata, v2ModelReady } from './infer.js';
import type { V2InferRecord } from './metrics.js';
import type { ModelRepository } from './repository.js';

export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';

const METHODS: ReadonlyArray<readonly [string, string, string]> = [
  ['ServerLive', 'ServerLiveRequest', 'ServerLiveResponse'],
  ['ServerReady', 'ServerReadyRequest', 'ServerReadyResponse'],
  ['ModelReady', 'ModelReadyRequest', 'ModelReadyResponse'],
  ['ServerMetadata', 'ServerMetadataRequest', 'ServerMetadataResponse'],
  ['ModelMetadata', 'ModelMetadataRequest', 'ModelMetadataResponse'],
  ['ModelInfer', 'ModelInferRequest', 'ModelInferResponse'],
  ['RepositoryIndex', 'RepositoryIndexRequest', 'RepositoryIndexResponse'],
  ['RepositoryModelLoad', 'RepositoryModelLoadRequest', 'RepositoryModelLoadResponse'],
  ['RepositoryModelUnload', 'RepositoryModelUnloadRequest', 'RepositoryModelUnloadResponse'],
];

/** grpc-js definition of inference.GRPCInferenceService (plain objects in, plain objects out). */
export function inferenceServiceDefinition(): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const [method, req, res] of METHODS) {
    const reqType = lookupType(`inference.${req}`);
    const resType = lookupType(`inference.${res}`);
    def[method] = {
      path: `/${INFERENCE_SERVICE}/${method}`,
      requestStream: false,
      responseStream: false,
      originalName: method.charAt(0).toLowerCase() + method.slice(1),
      requestSerialize: (o: object) => encodePlain(reqType, o),
      requestDeserialize: (buf: Buffer) => reqType.decode(buf),
      responseSerialize: (o: object) => encodePlain(resType, o),
      responseDeserialize: (buf: Buffer) => resType.decode(buf),
    };
  }
  return def;
}

// ---- decoded message shapes (protobufjs message instances, snake_case) ----

interface ParamMsg {
  bool_param?: boolean;
  int64_param?: Int64Like;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64Like;
  parameter_choice?: string;
}
type Params = Record<string, ParamMsg> | null | undefined;

interface ContentsMsg {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Int64Like[];
  uint_contents?: number[];
  uint64_contents?: Int64Like[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

interface InferInputMsg {
  name?: string;
  datatype?: string;
  shape?: Int64Like[];
  parameters?: Params;
  contents?: ContentsMsg | null;
}

interface ModelInferRequestMsg {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Params;
  inputs?: InferInputMsg[];
  outputs?: { name?: string; parameters?: Params }[];
  raw_input_contents?: Uint8Array[];
}

function param(p: Params, key: string): ParamMsg | undefined {
  return p && Object.hasOwn(p, key) ? p[key] : undefined;
}

/** The typed values of one input as JSON-like elements (numbers, bigints as JsonInt, bytes). */
function contentsValues(datatype: string, c: ContentsMsg): JsonValue[] {
  const big = (v: Int64Like): JsonValue => {
    const b = int64ToBigInt(v);
    return new JsonInt(Number(b), b);
  };
  switch (datatype) {
    case 'BOOL':
      return c.bool_contents ?? [];
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return c.int_contents ?? [];
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return c.uint_contents ?? [];
    case 'INT64':
      return (c.int64_contents ?? []).map(big);
    case 'UINT64':
      return (c.uint64_contents ?? []).map(big);
    case 'FP64':
      return c.fp64_contents ?? [];
    case 'BYTES':
      return (c.bytes_contents ?? []).map((b) => new JsonBytes(b));
    default:
      // FP32, and FP16/BF16 sent as fp32 values.
      return c.fp32_contents ?? [];
  }
}

function inputOf(msg: InferInputMsg, i: number, raw: Uint8Array[]): V2Input {
  const name = msg.name ?? '';
  if (!name) throw Errors.v2BadRequest(`inputs[${i}] has no name`);
  const datatype = msg.datatype ?? '';
  if (!dtypeOfV2(datatype)) throw Errors.v2UnknownDatatype(name, datatype);
  const shape = checkShape(name, (msg.shape ?? []).map((d) => int64ToNumber(d)));
  if (raw.length > 0) {
    if (i >= raw.length) throw Errors.v2BadRequest(`raw_input_contents has ${raw.length} entries for ${i + 1} or more inputs`);
    return { name, datatype, tensor: tensorFromV2Raw(name, datatype, shape, raw[i]!) };
  }
  return { name, datatype, tensor: tensorFromV2Json(name, datatype, shape, contentsValues(datatype, msg.contents ?? {})) };
}

function typedContents(t: Tensor, datatype: string): Record<string, unknown> {
  const d = t.data;
  switch (datatype) {
    case 'BOOL':
      return { bool_contents: Array.from(d as Uint8Array, (x) => x !== 0) };
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return { int_contents: Array.from(d as Int32Array) };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return { uint_contents: Array.from(d as Uint32Array) };
    case 'INT64':
      return { int64_contents: Array.from(d as BigInt64Array, (x) => x.toString()) };
    case 'UINT64':
      return { uint64_contents: Array.from(d as BigUint64Array, (x) => x.toString()) };
    case 'FP64':
      return { fp64_contents: Array.from(d as Float64Array) };
    case 'BYTES':
      return { bytes_contents: d as Uint8Array[] };
    case 'FP32':
      return { fp32_contents: Array.from(d as Float32Array) };
    default:
      // FP16/BF16 have no typed field: the caller sends them raw.
      return {};
  }
}

async function modelInfer(deps: V2GrpcDeps, req: ModelInferRequestMsg, signal: AbortSignal): Promise<object> {
  const started = performance.now();
  const model = req.model_name ?? '';
  let version = '';
  let batch = 1;
  try {
    const raw = req.raw_input_contents ?? [];
    const inputs = (req.inputs ?? []).map((m, i) => inputOf(m, i, raw));
    if (raw.length > 0 && raw.length !== inputs.length) throw Errors.v2BadRequest(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs`);
    batch = inputs[0]?.tensor.shape[0] ?? 1;
    const allBinary = param(req.parameters, 'binary_data_output')?.bool_param === true;
    const outputs: V2RequestedOutput[] = (req.outputs ?? []).map((o) => ({ name: o.name ?? '', binary: param(o.parameters, 'binary_data')?.bool_param === true }));
    const sig = param(req.parameters, 'signature_name')?.string_param;
    const res = await runV2Infer(deps.core, { model, version: req.model_version, id: req.id, signatureName: sig, inputs, outputs }, { signal, enableSignatureMethodNameCheck: deps.enableSignatureMethodNameCheck });
    version = res.version;
    const asRaw = raw.length > 0 || allBinary || res.outputs.some((o) => o.binary || o.datatype === 'FP16' || o.datatype === 'BF16');
    deps.onInfer?.({ model, version, ok: true, batch, durationMicros: (performance.now() - started) * 1000 });
    return {
      model_name: res.model,
      model_version: res.version,
      id: res.id ?? '',
      outputs: res.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: [...o.tensor.shape], ...(asRaw ? {} : { contents: typedContents(o.tensor, o.datatype) }) })),
      raw_output_contents: asRaw ? res.outputs.map((o) => tensorToV2Raw(o.tensor)) : [],
    };
  } catch (err) {
    deps.onInfer?.({ model, version: version || req.model_version || '', ok: false, batch, durationMicros: (performance.now() - started) * 1000 });
    throw err;
  }
}

export interface V2GrpcDeps extends Pick<GrpcHandlerEnv, 'core' | 'logger'> {
  readonly repository?: ModelRepository | undefined;
  readonly enableSignatureMethodNameCheck?: boolean | undefined;
  readonly onInfer?: ((r: V2InferRecord) => void) | undefined;
  readonly serverName?: string | undefined;
  readonly serverVersion?: string | undefined;
}

type NameVersion = { name?: string; version?: string };

/** Handlers of inference.GRPCInferenceService. */
export function inferenceServiceImplementation(env: GrpcHandlerEnv, deps: V2GrpcDeps): UntypedServiceImplementation {
  const path = (m: string): string => `/${INFERENCE_SERVICE}/${m}`;
  const core = deps.core;
  const repo = (): ModelRepository => {
    if (!deps.repository) throw Errors.repositoryApiDisabled();
    return deps.repository;
  };
  const h = <Req>(m: string, nameOf: (r: Req) => string, fn: (r: Req, s: AbortSignal) => Promise<object> | object) => unaryHandler<Req, object>(env, path(m), nameOf, fn);
  const none = (): string => '';
  return {
    ServerLive: h('ServerLive', none, () => ({ live: true })),
    ServerReady: h('ServerReady', none, () => ({ ready: core.isReady() })),
    ModelReady: h<NameVersion>('ModelReady', (r) => r.name ?? '', (r) => ({ ready: v2ModelReady(core, r.name ?? '', r.version || undefined) })),
    ServerMetadata: h('ServerMetadata', none, () => ({ name: deps.serverName ?? 'tfs', version: deps.serverVersion ?? '', extensions: [...V2_EXTENSIONS] })),
    ModelMetadata: h<NameVersion>('ModelMetadata', (r) => r.name ?? '', (r) => v2ModelMetadata(core, r.name ?? '', r.version || undefined)),
    ModelInfer: h<ModelInferRequestMsg>('ModelInfer', (r) => r.model_name ?? '', (r, s) => modelInfer(deps, r, s)),
    RepositoryIndex: h<{ ready?: boolean }>('RepositoryIndex', none, (r) => ({ models: repo().index(r.ready === true) })),
    RepositoryModelLoad: h<{ model_name?: string }>('RepositoryModelLoad', (r) => r.model_name ?? '', async (r) => {
      await repo().load(r.model_name ?? '');
      return {};
    }),
    RepositoryModelUnload: h<{ model_name?: string }>('RepositoryModelUnload', (r) => r.model_name ?? '', async (r) => {
      await repo().unload(r.model_name ?? '');
      return {};
    }),
  };
}

/** Add the service to a tfs gRPC server (before it listens), under its concurrency cap. */
export function registerV2Grpc(grpc: TfsGrpcServer, deps: V2GrpcDeps): void {
  const env: GrpcHandlerEnv = { core: deps.core, logger: deps.logger, limiter: grpc.limiter, inFlight: grpc.inFlight, enableSignatureMethodNameCheck: deps.enableSignatureMethodNameCheck ?? false, onCallDone: undefined };
  grpc.server.addService(inferenceServiceDefinition(), inferenceServiceImplementation(env, deps));
}
