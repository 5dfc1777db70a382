/**
 * `tensorflow.serving.ModelService`: GetModelStatus and HandleReloadConfigRequest
 * (upstream get_model_status_impl.cc and model_service_impl.cc).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { modelServerConfigFromProto } from '../../config/model-server-config.js';
import { Errors, asTfsError } from '../../errors.js';
import { lookupType, toObjectOptions } from '../../proto/root.js';
import { int64ToNumber } from '../../tensor/tensor-proto.js';
import { type GetModelStatusRequestMsg, MODEL_SERVICE, type ReloadConfigRequestMsg } from './codec.js';
import { type GrpcHandlerEnv, unaryHandler } from './handler.js';

/**
 * Reads the current value of an internal metric by name, for ReloadConfigRequest's
 * `metric_names` (upstream reports, per name, how much the metric's first point grew
 * during the reload). Returns undefined for metrics it does not know.
 */
export type MetricReader = (name: string) => number | undefined;

export interface ModelServiceOptions {
  readonly metricReader?: MetricReader | undefined;
}

/** Handlers of tensorflow.serving.ModelService for grpc-js `addService`. */
export function modelServiceImplementation(env: GrpcHandlerEnv, opts: ModelServiceOptions = {}): UntypedServiceImplementation {
  const path = (m: string): string => `/${MODEL_SERVICE}/${m}`;
  return {
    GetModelStatus: unaryHandler<GetModelStatusRequestMsg, object>(
      env,
      path('GetModelStatus'),
      (req) => req.model_spec?.name ?? '',
      (req) => {
        const spec = req.model_spec;
        if (!spec) throw Errors.missingModelSpec();
        // Only `version` narrows the answer; version_label is ignored, as upstream.
        const version = spec.version ? int64ToNumber(spec.version.value) : undefined;
        const rows = env.core.getModelStatus(spec.name ?? '', version);
        return {
          model_version_status: rows.map((r) => ({
            version: r.version,
            state: r.state,
            status: { error_code: r.status.errorCode, error_message: r.status.errorMessage },
          })),
        };
      },
    ),

    HandleReloadConfigRequest: unaryHandler<ReloadConfigRequestMsg, object>(
      env,
      path('HandleReloadConfigRequest'),
      () => '',
      async (req) => {
        const names = req.metric_names ?? [];
        const before = new Map<string, number>();
        if (opts.metricReader) {
          for (const n of names) {
            const v = opts.metricReader(n);
            if (v !== undefined) before.set(n, v);
          }
        }
        try {
          const cfg = req.config;
          // Only the model_config_list member of the config oneof is accepted (an absent config counts as unset).
          if (!cfg?.model_config_list) throw Errors.reloadConfigTypeUnsupported();
          const T = lookupType('tensorflow.serving.ModelServerConfig');
          const plain = T.toObject(cfg as unknown as protobuf.Message, toObjectOptions);
          const config = modelServerConfigFromProto(plain);
          for (const [i, m] of config.models.entries()) {
            env.logger.info({ index: i, path: m.basePath, name: m.name, platform: m.modelPlatform }, 'Config entry');
          }
          await env.core.reloadConfig(config);
        } catch (err) {
          // The response's StatusProto cannot reach the client when the RPC fails (gRPC sends
          // no message with an error status), so the status carries the outcome, as upstream.
          env.logger.error(`ReloadConfig failed: ${asTfsError(err).message}`);
          throw err;
        }
        const metric: { name: string; int64_value_increase: number }[] = [];
        if (opts.metricReader) {
          for (const n of names) {
            const old = before.get(n);
            const now = opts.metricReader(n);
            if (old !== undefined && now !== undefined) metric.push({ name: n, int64_value_increase: Math.trunc(now - old) });
          }
        }
        return { status: { error_code: 'OK', error_message: '' }, metric };
      },
    ),
  };
}
