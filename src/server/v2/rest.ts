/**
 * The Open Inference Protocol (KServe V2) over REST, as a fastify plugin under `/v2`,
 * beside `/v1` on `--rest_api_port`:
 *
 *   GET  /v2                                           server metadata
 *   GET  /v2/health/live | /v2/health/ready            liveness, readiness
 *   GET  /v2/models/{m}[/versions/{v}]                 model metadata (`?signature_name=` optional)
 *   GET  /v2/models/{m}[/versions/{v}]/ready           model readiness
 *   POST /v2/models/{m}[/versions/{v}]/infer           inference (JSON or binary extension)
 *   POST /v2/repository/index                          repository extension
 *   POST /v2/repository/models/{m}/load | /unload
 *
 * Errors are `{"error": "..."}` with the status of the error's code (errors.ts): 400 for a
 * bad request, 404 for an unknown model, version or path, 503 for a model not ready.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import { Code, Errors, TfsError, asTfsError } from '../../errors.js';
import { errorJson } from '../../tensor/json-tensor.js';
import { type JsonValue, JsonObject, parseJson } from '../../tensor/json-parser.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import { DeadlineSignals } from '../rest/deadline.js';
import { V2_EXTENSIONS, runV2Infer, v2ModelMetadata, v2ModelReady, parseV2Version } from './infer.js';
import type { V2InferRecord } from './metrics.js';
import type { ModelRepository } from './repository.js';
import { HEADER_LENGTH, encodeV2InferResponse, parseV2InferBody } from './rest-codec.js';

export interface V2RestOptions {
  readonly core: ServerCoreApi;
  readonly logger?: Logger | undefined;
  /** The repository extension; absent = its routes answer UNAVAILABLE. */
  readonly repository?: ModelRepository | undefined;
  /** `--rest_api_timeout_in_ms` for inference; ≤ 0 disables. */
  readonly restApiTimeoutMs?: number | undefined;
  readonly enableSignatureMethodNameCheck?: boolean | undefined;
  /** Server name and version for `GET /v2`. */
  readonly serverName?: string | undefined;
  readonly serverVersion?: string | undefined;
  /** The REST app's body limit (for the 413 text). */
  readonly bodyLimit?: number | undefined;
  /** Called once per infer request (metrics). Must not throw. */
  readonly onInfer?: ((r: V2InferRecord) => void) | undefined;
}

type Params = { model?: string; version?: string };

function sendJson(reply: FastifyReply, status: number, body: string | Buffer): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(body);
}

function sendError(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  const e = asTfsError(err);
  if (e.code === Code.INTERNAL || e.code === Code.UNKNOWN) logger.error({ err }, 'V2 request failed');
  return sendJson(reply, e.httpStatus, errorJson(e.message));
}

function bodyOf(request: FastifyRequest): Uint8Array {
  const b = request.body;
  return b instanceof Uint8Array ? b : new Uint8Array(0);
}

/** The first dimension of the first input (the inferences in a request), 1 when none. */
function batchOf(shapes: readonly (readonly number[])[]): number {
  const s = shapes[0];
  return s && s.length > 0 ? s[0]! : 1;
}

async function infer(opts: V2RestOptions, deadlines: DeadlineSignals, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const started = performance.now();
  const { model = '', version } = request.params as Params;
  let answered = '';
  let batch = 1;
  try {
    const header = request.headers[HEADER_LENGTH];
    const parsed = parseV2InferBody(bodyOf(request), Array.isArray(header) ? header[0] : header, model, version);
    batch = batchOf(parsed.request.inputs.map((i) => i.tensor.shape));
    const timeout = opts.restApiTimeoutMs ?? 30_000;
    const res = await runV2Infer(opts.core, parsed.request, {
      signal: timeout > 0 ? deadlines.signal(timeout) : undefined,
      enableSignatureMethodNameCheck: opts.enableSignatureMethodNameCheck,
    });
    answered = res.version;
    // binary_data_output applies to the outputs that do not say otherwise.
    const out = encodeV2InferResponse(res, parsed.request.outputs ? false : parsed.allBinary);
    if (out.headerLength === undefined) sendJson(reply, 200, out.body);
    else {
      reply.code(200).header('content-type', 'application/octet-stream').header('inference-header-content-length', String(out.headerLength)).send(out.body);
    }
  } catch (err) {
    sendError(reply, err, opts.logger ?? silentLogger);
  }
  const ok = reply.statusCode === 200;
  opts.onInfer?.({ model, version: answered || version || '', ok, batch, durationMicros: (performance.now() - started) * 1000 });
}

function repositoryOf(opts: V2RestOptions): ModelRepository {
  if (!opts.repository) throw Errors.repositoryApiDisabled();
  return opts.repository;
}

/** `{"ready": true}` in a repository/index body (an empty body is `{}`). */
function readyFlag(body: Uint8Array): boolean {
  if (body.length === 0) return false;
  const doc: JsonValue = parseJson(body);
  if (!(doc instanceof JsonObject)) throw Errors.v2BadRequest('the request body must be a JSON object');
  const r = doc.get('ready');
  if (r === undefined || r === null) return false;
  if (typeof r !== 'boolean') throw Errors.v2BadRequest("'ready' must be true or false");
  return r;
}

/** Wrap a handler that returns a JSON body (or throws a TfsError). */
function json(opts: V2RestOptions, fn: (request: FastifyRequest) => Promise<string> | string) {
  const logger = opts.logger ?? silentLogger;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      sendJson(reply, 200, await fn(request));
    } catch (err) {
      sendError(reply, err, logger);
    }
  };
}

function registerHealthAndMetadata(app: FastifyInstance, opts: V2RestOptions): void {
  const core = opts.core;
  const serverMetadata = JSON.stringify({ name: opts.serverName ?? 'tfs', version: opts.serverVersion ?? '', extensions: V2_EXTENSIONS });
  app.get('/v2', json(opts, () => serverMetadata));
  app.get('/v2/health/live', json(opts, () => '{"live":true}'));
  app.get('/v2/health/ready', async (_request, reply) => {
    const ready = core.isReady();
    sendJson(reply, ready ? 200 : 400, `{"ready":${ready}}`);
  });
  const modelReady = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { model = '', version } = request.params as Params;
    try {
      parseV2Version(version);
      let known = true;
      try {
        core.getModelStatus(model, version === undefined ? undefined : Number(version));
      } catch {
        known = false;
      }
      if (!known) throw Errors.v2ModelNotFound(model, version);
      const ready = v2ModelReady(core, model, version);
      sendJson(reply, ready ? 200 : 400, `{"name":${JSON.stringify(model)},"ready":${ready}}`);
    } catch (err) {
      sendError(reply, err, opts.logger ?? silentLogger);
    }
  };
  app.get('/v2/models/:model/ready', modelReady);
  app.get('/v2/models/:model/versions/:version/ready', modelReady);
  const metadata = json(opts, async (request) => {
    const { model = '', version } = request.params as Params;
    const q = request.query as { signature_name?: string };
    return JSON.stringify(await v2ModelMetadata(core, model, version, q.signature_name || undefined));
  });
  app.get('/v2/models/:model', metadata);
  app.get('/v2/models/:model/versions/:version', metadata);
}

function registerRepository(app: FastifyInstance, opts: V2RestOptions): void {
  app.post(
    '/v2/repository/index',
    json(opts, (request) => {
      const ready = readyFlag(bodyOf(request));
      return JSON.stringify(repositoryOf(opts).index(ready));
    }),
  );
  app.post(
    '/v2/repository/models/:model/load',
    json(opts, async (request) => {
      await repositoryOf(opts).load((request.params as Params).model ?? '');
      return '{}';
    }),
  );
  app.post(
    '/v2/repository/models/:model/unload',
    json(opts, async (request) => {
      await repositoryOf(opts).unload((request.params as Params).model ?? '');
      return '{}';
    }),
  );
}

/**
 * Add the `/v2` routes to a REST app built by buildRestApp (src/server/rest/app.ts). Its raw
 * body parser (gzip included) and body limit apply; body errors get V2's JSON answer.
 */
export async function registerV2Rest(app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>, opts: V2RestOptions): Promise<void> {
  const logger = opts.logger ?? silentLogger;
  const deadlines = new DeadlineSignals();
  await app.register(async (s) => {
    const scope = s as unknown as FastifyInstance;
    scope.addHook('onClose', (_i, done) => {
      deadlines.close();
      done();
    });
    // Body reading failures (too large, bad gzip) on /v2 routes.
    scope.setErrorHandler((err: Error & { code?: string }, _request, reply) => {
      const e = err instanceof TfsError ? err : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? Errors.bodyTooLarge(opts.bodyLimit ?? 0) : Errors.restBodyRejected(err.message);
      sendError(reply, e, logger);
    });
    registerHealthAndMetadata(scope, opts);
    registerRepository(scope, opts);
    scope.post('/v2/models/:model/infer', (request, reply) => infer(opts, deadlines, request, reply));
    scope.post('/v2/models/:model/versions/:version/infer', (request, reply) => infer(opts, deadlines, request, reply));
    const notFound = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      sendError(reply, Errors.v2NotFound(request.method, (request.raw.url ?? '').split('?')[0]!), logger);
    };
    scope.all('/v2/*', notFound);
  });
}
