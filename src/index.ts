/**
 * tfs as a library. Everything the CLI does is reachable from here, with no side effects on
 * import (the tfjs runtime is loaded when a model is).
 *
 *   import { startServer, parseServeFlags, ServerCore, loadSavedModelServable, inspect } from 'tfserving';
 */
export { Code, Errors, TfsError, asTfsError, codeName, httpStatusOf } from './errors.js';
export { DTYPES, dtypeInfo, type DTypeInfo, type DTypeName } from './tensor/dtypes.js';
export { makeTensor, numElements, zeros, type Tensor, type TensorData } from './tensor/tensor.js';
export { decodeTensorProto, encodeTensorProto, requestTensorFromProto, tensorToProto } from './tensor/tensor-proto.js';
export { lookupType, protoRoot } from './proto/root.js';
export * from './config/index.js';
export type { ModelServable, RunOptions, SignatureSpec } from './core/servable.js';
export type { TensorSpec } from './tensor/tensor.js';
export type { ManagerState, ModelVersionStatus, ServableHandle, ServableRequest, ServerCoreApi } from './core/server-core-api.js';
export { ServerCore, type ServerCoreOptions, type ModelLoader } from './server/server-core.js';
export { ConfigPoller } from './server/config-poller.js';
export { loadSavedModelServable, type SavedModelServableOptions } from './servables/saved-model-servable.js';
export { loadNativeServable, type NativeServableOptions } from './servables/native-servable.js';
export { loadNativeAddon, nativeDir, type NativeAddon } from './native/addon.js';
export { buildAddon, findTensorflow } from './native/install.js';
export { runPredict } from './servables/predict.js';
export { runClassify, runRegress } from './servables/classify-regress.js';
export { runMultiInference } from './servables/multi-inference.js';
export { getModelMetadata } from './servables/metadata.js';
export { readSavedModel, listVersions, type LoadedSavedModel } from './savedmodel/saved-model.js';
export { TensorBundle } from './savedmodel/tensor-bundle.js';
export { inspect } from './savedmodel/inspect.js';
export { initBackend, type BackendName } from './runtime/backend.js';
export { Batcher, BatchingServable } from './batching/index.js';
export { createMetrics, type TfsMetrics } from './metrics/metrics.js';
export { createMetricsEndpoint, renderPrometheus } from './metrics/exposition.js';
export { buildRestApp, listenRest, type RestAppOptions } from './server/rest/app.js';
export { createGrpcServer, type GrpcServerOptions, type TfsGrpcServer } from './server/grpc/server.js';
export { parseServeFlags, SERVE_FLAGS, type ParsedFlags } from './server/flags.js';
export { startServer, checkStartupFlags, StartupError, type RunningServer, type StartOptions } from './server/server.js';
export { runBench, type BenchOptions, type BenchOutput } from './bench/bench.js';
