/**
 * The REST API of tensorflow_model_server on fastify (spec §1).
 *
 * fastify provides the HTTP plumbing (connection handling, body reading and limits,
 * `inject()` for tests); routing is ours: every request goes to {@link dispatch}, which
 * mirrors upstream's http_server.cc dispatcher:
 *   1. the Prometheus path (exact match, when configured);
 *   2. `GET /healthz`, `GET /readyz` (tfs's own probes; upstream answers these with 404);
 *   3. `(?i)/v1/.*` → OPTIONS preflight, or the REST handler (path grammar in path.ts);
 *   4. anything else → libevent's HTML 404 with `Connection: close`.
 *
 * Plain `:predict` POSTs skip fastify (installLeanPredict below): same handler, same bytes out.
 *
 * Request flow of a `:predict`: body (gunzipped if `Content-Encoding: gzip`) → JSON
 * parse (json-parser.ts) → model + signature (servables/predict.ts) → JSON → tensors
 * with the signature's dtypes (json-tensor.ts) → run with an AbortSignal for
 * `--rest_api_timeout_in_ms` (deadline.ts) → `{"predictions": ...}`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { ServerCoreApi } from '../../core/server-core-api.js';
import { Code, Errors, TfsError, asTfsError, codeName, httpStatusOf } from '../../errors.js';
import { runClassify, runRegress } from '../../servables/classify-regress.js';
import { getModelMetadata } from '../../servables/metadata.js';
import type { ModelSpec } from '../../servables/model-spec.js';
import { type PredictCall, type PredictResult, type RequestOptions, runPredict, startPredict } from '../../servables/predict.js';
import type { SignatureSpec } from '../../core/servable.js';
import {
  type JsonPredictFormat,
  type ParsedRequestBody,
  classifyRegressRequestFromJson,
  errorJson,
  parseRequestBody,
  predictInputsFromJson,
  predictResponseJson,
  classifyResponseJson,
  regressResponseJson,
} from '../../tensor/json-tensor.js';
import { modelMetadataJson, modelStatusJson } from './json-proto.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type Logger, silentLogger } from '../../util/logger.js';
import { BigBodyDecoder, DEFAULT_WORKER_DECODE_BYTES } from './body-decoder.js';
import { DeadlineSignals } from './deadline.js';
import { REST_PATH_RE, type RestRoute, parseRestPath } from './path.js';

/** Upstream's gunzip cap (100 MiB uncompressed), also our default body limit. */
export const DEFAULT_BODY_LIMIT = 100 * 1024 * 1024;
/** `--rest_api_timeout_in_ms` default. */
export const DEFAULT_REST_API_TIMEOUT_MS = 30_000;

/** libevent's 404 page for paths outside `/v1/` (evhttp_send_error). */
export const NOT_FOUND_HTML =
  '<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\n</BODY></HTML>\n';

/** What a finished `/v1/...` request reports to metrics (upstream's request_count / request_latency). */
export interface RestRequestInfo {
  /** Model name from the URL ('' when the URL did not parse). */
  modelName: string;
  /** `predict` | `classify` | `regress` for POSTs, '' for GETs (upstream's `API` label). */
  api: string;
  /** Canonical status code of the outcome (0 = OK). */
  code: number;
  /** `OK`, `NOT_FOUND`, ... */
  codeName: string;
  httpStatus: number;
  /** Wall time from request arrival to the response being handed to the socket. */
  latencySeconds: number;
  /** The route: `status`, `metadata`, `predict`, `classify`, `regress` ('' when the URL did not parse). */
  kind?: string;
  /** The model version that answered (or the one the URL named, when the request failed). */
  version?: number;
}

export interface RestMetricsHooks {
  /** Called once per `/v1/...` request (not for OPTIONS, probes or the metrics page). */
  onRequest?(info: RestRequestInfo): void;
}

export interface MetricsPage {
  /** HTTP status (default 200). */
  status?: number;
  contentType: string;
  body: string;
}

export interface RestAppOptions {
  core: ServerCoreApi;
  logger?: Logger;
  /** `--rest_api_timeout_in_ms` for predict/classify/regress; ≤ 0 disables. Default 30000. */
  restApiTimeoutMs?: number;
  /** `--rest_api_enable_cors_support`. */
  enableCors?: boolean;
  /** Largest accepted (uncompressed) request body in bytes; larger → 413. Default 100 MiB. */
  bodyLimit?: number;
  /** `--enable_signature_method_name_check`. */
  enableSignatureMethodNameCheck?: boolean;
  /**
   * `--rest_api_worker_decode_bytes`: predict bodies of at least this many bytes are decoded
   * in a worker thread (body-decoder.ts), so the event loop stays free; 0 = always inline.
   */
  workerDecodeBytes?: number;
  /** Prometheus path (MonitoringConfig.prometheus_config.path) served by `metricsHandler`. */
  metricsPath?: string;
  /**
   * Answers requests whose path is `metricsPath`; `uri` is the raw request target (path and
   * query), so the handler can refuse a query string as upstream does (spec §5.1).
   */
  metricsHandler?: (uri: string) => MetricsPage | Promise<MetricsPage>;
  metrics?: RestMetricsHooks;
  /**
   * Answer plain `:predict` POSTs on the lean path (see {@link installLeanPredict}) before
   * fastify sees them. Default true; false sends every request through fastify.
   */
  leanPredict?: boolean;
  /** The drain (drain-plugin.ts), so lean-path requests are counted and refused as fastify's are. */
  admission?: RestAdmission;
}

/** What the lean path asks the drain: may a request start (and be counted until `res` closes), and is the server draining. */
export interface RestAdmission {
  /** False while draining (fastify then answers the refusal); else counts the request until `res` closes. */
  enter(res: ServerResponse): boolean;
  draining(): boolean;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET',
  'Access-Control-Allow-Headers': 'Content-Type',
} as const;

/** CORS_HEADERS as fastify writes them (reply.header lowercases names). */
const CORS_HEADERS_LOWER: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(CORS_HEADERS).map(([k, v]) => [k.toLowerCase(), v]));

/** What answering a `/v1/` request needs, shared by the fastify route and the lean path. */
interface RestContext {
  readonly opts: RestAppOptions;
  readonly deadlines: DeadlineSignals;
  readonly decoder: BigBodyDecoder;
  readonly logger: Logger;
  readonly bodyLimit: number;
  /** The options of the latest predict, reused while its deadline signal is (see {@link requestOptions}). */
  lastOptions?: RequestOptions;
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];

/** A fastify app serving the REST API; use `inject()` in tests or `listen()` to serve. */
export function buildRestApp(opts: RestAppOptions): FastifyInstance<Server, IncomingMessage, ServerResponse, Logger> {
  const logger = opts.logger ?? silentLogger;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const deadlines = new DeadlineSignals();
  const decoder = new BigBodyDecoder(opts.workerDecodeBytes ?? DEFAULT_WORKER_DECODE_BYTES);
  const app = Fastify({
    loggerInstance: logger,
    // No per-request log lines (tensorflow_model_server does not log requests either).
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is the server's logger itself: fastify's default makes a pino child per
    // request (bound to its request id), about 0.6 µs, for log lines tfs never writes.
    childLoggerFactory: (parent) => parent,
    bodyLimit,
    // Our own path parser handles every URL: never let the router reject one.
    routerOptions: { maxParamLength: 1 << 20, ignoreDuplicateSlashes: false },
    frameworkErrors: (err, request, reply) => {
      // Bad percent-encoding and similar router errors: route the raw URL ourselves.
      const r = reply as unknown as FastifyReply;
      void dispatch(ctx, request as unknown as FastifyRequest, r).catch(() => r.code(500).send(err.message));
    },
  });
  const ctx: RestContext = { opts, deadlines, decoder, logger, bodyLimit };
  if (opts.leanPredict ?? true) installLeanPredict(app, ctx);

  // Upstream ignores Content-Type and always reads the body as JSON bytes: hand every
  // body over raw, whatever (or whether any) Content-Type was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const enc = request.headers['content-encoding'];
    if (typeof enc === 'string' && enc.toLowerCase().includes('gzip')) {
      // The uncompressed size is capped by the same limit (upstream caps gunzip at 100 MiB).
      gunzip(body as Buffer, { maxOutputLength: bodyLimit }, (err, out) => {
        if (!err) done(null, out);
        else if ((err as Error & { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') done(Errors.bodyTooLarge(bodyLimit), undefined);
        else done(Errors.gzipFailed(err.message), undefined);
      });
      return;
    }
    done(null, body);
  });
  // Every body goes to the catch-all parser as if no Content-Type had been sent: fastify then
  // neither rejects an unparsable type (415) nor parses the header (a ContentType object and
  // its string per request).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers['content-type'] !== undefined) request.headers['content-type'] = undefined;
    done();
  });

  const handler = (request: FastifyRequest, reply: FastifyReply): Promise<void> => dispatch(ctx, request, reply);
  app.addHook('onClose', async () => {
    deadlines.close();
    await decoder.close();
  });
  app.route({ method: ALL_METHODS, url: '/', handler });
  app.route({ method: ALL_METHODS, url: '/*', handler });
  app.setNotFoundHandler(handler);
  // Body reading failures (too large, bad gzip, wrong Content-Length) end up here.
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    const path = request.raw.url ?? '';
    if (!REST_PATH_RE.test(path)) {
      notFoundHtml(reply);
      return;
    }
    // The status comes from the table (bodyTooLarge carries its 413 there).
    let e: TfsError;
    const tooLarge = Errors.bodyTooLarge(bodyLimit);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || (err as Error).message === tooLarge.message) e = tooLarge;
    else if (err instanceof TfsError) e = err;
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) e = Errors.restBodyRejected(err.message);
    else e = asTfsError(err);
    const status = e.httpStatus;
    sendJson(opts, reply, status, errorJson(e.message));
    report(opts, reply.elapsedTime / 1000, { status, body: '', modelName: '', api: '', code: e.code, served: {} });
  });
  return app;
}

/**
 * Listen as tensorflow_model_server does: IPv6 any (dual stack), falling back to IPv4
 * any, unless `host` is given. Resolves with the bound port.
 */
export async function listenRest(app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>, port: number, host?: string): Promise<number> {
  if (host !== undefined) {
    await app.listen({ port, host });
  } else {
    try {
      await app.listen({ port, host: '::' });
    } catch {
      await app.listen({ port, host: '0.0.0.0' });
    }
  }
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

/** Anything but printable ASCII: only a URL with bytes past ASCII reads differently as UTF-8 than as Node's latin1 view (control bytes take the same, unchanged round trip). */
const NON_ASCII_RE = /[^ -~\t\r\n]/;

const passThrough = (payload: unknown): string => payload as string;

function notFoundHtml(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .header('content-type', 'text/html; charset=ISO-8859-1')
    .header('connection', 'close')
    .send(NOT_FOUND_HTML);
}

function sendJson(opts: RestAppOptions, reply: FastifyReply, status: number, body: string): FastifyReply {
  reply.code(status).header('content-type', 'application/json');
  if (opts.enableCors) reply.headers(CORS_HEADERS);
  // A (pass-through) serializer keeps fastify from appending `; charset=utf-8`: upstream
  // sends the bare type.
  return reply.serializer(passThrough).send(body);
}

/** What a request resolved to, filled in while it runs (for {@link RestRequestInfo}). */
interface Served {
  kind?: string;
  version?: number;
}

/** The answer to one `/v1/` model request, and what metrics hear of it. */
interface RestAnswer {
  status: number;
  body: string;
  modelName: string;
  api: string;
  code: number;
  served: Served;
}

function report(opts: RestAppOptions, latencySeconds: number, a: RestAnswer): void {
  const hook = opts.metrics?.onRequest;
  if (!hook) return;
  try {
    const info: RestRequestInfo = { modelName: a.modelName, api: a.api, code: a.code, codeName: codeName(a.code), httpStatus: a.status, latencySeconds };
    // The fields `served` has, as a spread would copy them (a spread is a slower generic copy).
    const { kind, version } = a.served;
    if (kind !== undefined) info.kind = kind;
    if (version !== undefined) info.version = version;
    hook(info);
  } catch {
    // Metrics must never break serving.
  }
}

/** Route one request (see the module comment). */
async function dispatch(ctx: RestContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { opts, logger } = ctx;
  const url = request.raw.url ?? '/';
  const method = request.method;
  const qIndex = url.indexOf('?');
  const pathOnly = qIndex < 0 ? url : url.slice(0, qIndex);

  if (opts.metricsPath && opts.metricsHandler && pathOnly === opts.metricsPath) {
    const page = await opts.metricsHandler(url);
    reply
      .code(page.status ?? 200)
      .header('content-type', page.contentType)
      .send(page.body);
    return;
  }
  if ((method === 'GET' || method === 'HEAD') && (pathOnly === '/healthz' || pathOnly === '/readyz')) {
    const ready = pathOnly === '/healthz' || opts.core.isReady();
    const text = pathOnly === '/healthz' ? '{"status": "ok"}\n' : `{"ready": ${ready}}\n`;
    reply
      .code(ready ? 200 : 503)
      .header('content-type', 'application/json')
      .send(Buffer.from(text));
    return;
  }
  if (!REST_PATH_RE.test(url)) {
    notFoundHtml(reply);
    return;
  }
  if (method === 'OPTIONS') {
    // CORS preflight, answered by the HTTP server itself (never reaches the REST handler).
    const origin = request.headers.origin ?? '';
    const ok = origin.includes('http://') || origin.includes('https://');
    if (!ok) logger.warn(Errors.corsOriginMissing().message);
    reply.code(ok ? 200 : httpStatusOf(Code.FAILED_PRECONDITION));
    if (opts.enableCors) reply.headers(CORS_HEADERS);
    // Upstream's 400 has an empty body; tfs says why (no error without a body).
    if (ok) reply.send();
    else reply.type('application/json').send(errorJson(Errors.corsOriginMissing().message));
    return;
  }
  // The REST handler proper (http_rest_api_handler.cc ProcessRequest).
  const a = await new Promise<RestAnswer>((resolve) => answerRest(ctx, method, url, request.body, resolve));
  sendJson(opts, reply, a.status, a.body);
  // fastify times the request from its arrival.
  report(opts, reply.elapsedTime / 1000, a);
}

/**
 * Run one `/v1/` model request (status, metadata, predict, classify, regress) and hand its
 * answer to `done`, exactly once (in this call or later); never throws.
 */
function answerRest(ctx: RestContext, method: string, url: string, body: unknown, done: (a: RestAnswer) => void): void {
  const call = new RestCall(ctx, done);
  try {
    // Messages print the path as received (bytes, not Node's latin1 view of them).
    const route = parseRestPath(method, NON_ASCII_RE.test(url) ? Buffer.from(url, 'latin1').toString('utf8') : url);
    call.routed(route);
    if (route.kind === 'predict') predictRest(ctx, body, route, call);
    else
      runRoute(ctx, body, route, call.served).then(
        (text) => call.answered(text),
        (err: unknown) => call.failed(err),
      );
  } catch (err) {
    call.failed(err);
  }
}

/**
 * One `/v1/` request under way, and then its answer: what the route resolved to, the parsed
 * predict body and its format (it is the {@link PredictCall} of an inline predict).
 */
class RestCall implements RestAnswer, PredictCall {
  status = 200;
  body = '';
  modelName = '';
  api = '';
  code: number = Code.OK;
  readonly served: Served = {};
  /** The predict body (inline predicts), and the JSON format its inputs came in. */
  parsed: ParsedRequestBody | undefined;
  format: JsonPredictFormat = 'row';
  private finished = false;

  constructor(
    private readonly ctx: RestContext,
    private readonly done: (a: RestAnswer) => void,
  ) {}

  routed(route: RestRoute): void {
    this.modelName = route.name;
    if (route.kind !== 'status' && route.kind !== 'metadata') this.api = route.kind;
    this.served.kind = route.kind;
    if (route.version !== undefined) this.served.version = route.version;
  }

  inputs(signature: SignatureSpec): Readonly<Record<string, Tensor>> {
    const converted = predictInputsFromJson(this.parsed!, signature.inputs);
    this.format = converted.format;
    return converted.inputs;
  }

  predicted(result: PredictResult): void {
    this.served.version = result.modelSpec.version;
    const json = encodeAnswer(this.ctx.decoder, result.outputs, this.format);
    if (typeof json === 'string') this.answered(json);
    else
      json.then(
        (text) => this.answered(text),
        (err: unknown) => this.failed(err),
      );
  }

  answered(text: string): void {
    this.finish(200, Code.OK, text);
  }

  failed(err: unknown): void {
    const e = asTfsError(err);
    if (e.code === Code.INTERNAL || e.code === Code.UNKNOWN) this.ctx.logger.error({ err }, 'REST request failed');
    this.finish(e.httpStatus, e.code, errorJson(e.message));
  }

  private finish(status: number, code: number, body: string): void {
    if (this.finished) return;
    this.finished = true;
    this.status = status;
    this.code = code;
    this.body = body;
    this.done(this);
  }
}

/** A `:predict`: parsed and run inline (no promise of its own), or off the event loop when the body is big. */
function predictRest(ctx: RestContext, requestBody: unknown, route: RestRoute, call: RestCall): void {
  const { opts, deadlines, decoder } = ctx;
  const body = bodyBytes(requestBody);
  const ro = requestOptions(ctx, runSignal(opts, deadlines));
  if (decoder.wants(body.byteLength)) {
    predictOffThread(opts.core, decoder, body, route, ro, call.served).then(
      (text) => call.answered(text),
      (err: unknown) => call.failed(err),
    );
    return;
  }
  call.parsed = parseRequestBody(body);
  startPredict(opts.core, specOf(route, call.parsed.signatureName), call, ro);
}

/**
 * The RequestOptions of a REST predict with deadline `signal`. Requests in the same deadline
 * window share one signal (deadline.ts), so they share one options object too (nothing
 * downstream writes to it): no object per request.
 */
function requestOptions(ctx: RestContext, signal: AbortSignal | undefined): RequestOptions {
  const last = ctx.lastOptions;
  if (last !== undefined && last.signal === signal) return last;
  const ro: RequestOptions = { api: 'rest', signal, enableSignatureMethodNameCheck: ctx.opts.enableSignatureMethodNameCheck ?? false };
  ctx.lastOptions = ro;
  return ro;
}

function specOf(route: RestRoute, signatureName?: string): ModelSpec {
  const spec: ModelSpec = { name: route.name };
  if (route.version !== undefined) spec.version = route.version;
  if (route.label !== undefined) spec.versionLabel = route.label;
  if (signatureName) spec.signatureName = signatureName;
  return spec;
}

/**
 * The AbortSignal of one model run: `--rest_api_timeout_in_ms` (a TimeoutError reason →
 * DEADLINE_EXCEEDED), or none when the timeout is disabled. As upstream, a client that
 * disconnects does not cancel its run (its answer is simply dropped).
 */
function runSignal(opts: RestAppOptions, deadlines: DeadlineSignals): AbortSignal | undefined {
  const timeoutMs = opts.restApiTimeoutMs ?? DEFAULT_REST_API_TIMEOUT_MS;
  return timeoutMs > 0 ? deadlines.signal(timeoutMs) : undefined;
}

/** Status, metadata, classify and regress (a predict goes to {@link predictRest}). */
async function runRoute(ctx: RestContext, requestBody: unknown, route: RestRoute, served: Served): Promise<string> {
  const { opts, deadlines } = ctx;
  const core = opts.core;
  switch (route.kind) {
    case 'status':
      // The label is ignored: status lists all versions (get_model_status_impl.cc).
      return modelStatusJson(core.getModelStatus(route.name, route.version));
    case 'metadata': {
      const res = await getModelMetadata(core, { modelSpec: specOf(route), metadataFields: ['signature_def'] });
      served.version = res.modelSpec.version;
      return modelMetadataJson(res);
    }
    default:
      break;
  }
  const body = bodyBytes(requestBody);
  const check = opts.enableSignatureMethodNameCheck ?? false;
  const { signatureName, input } = classifyRegressRequestFromJson(body);
  const req = { modelSpec: specOf(route, signatureName), input };
  const ro = { api: 'rest' as const, signal: runSignal(opts, deadlines), enableSignatureMethodNameCheck: check };
  if (route.kind === 'classify') {
    const res = await runClassify(core, req, ro);
    served.version = res.modelSpec.version;
    return classifyResponseJson(res.result);
  }
  const res = await runRegress(core, req, ro);
  served.version = res.modelSpec.version;
  return regressResponseJson(res.result);
}

/** A predict whose big body is parsed and converted in a worker thread (same steps and errors as inline). */
async function predictOffThread(
  core: RestAppOptions['core'],
  decoder: BigBodyDecoder,
  body: Uint8Array,
  route: RestRoute,
  ro: RequestOptions,
  served: Served,
): Promise<string> {
  const job = await decoder.parse(body);
  let format: JsonPredictFormat = 'row';
  try {
    const result = await runPredict(
      core,
      {
        modelSpec: specOf(route, job.signatureName),
        inputs: async (signature) => {
          const converted = await job.inputs(signature.inputs);
          format = converted.format;
          return converted.inputs;
        },
      },
      ro,
    );
    served.version = result.modelSpec.version;
    return encodeAnswer(decoder, result.outputs, format);
  } finally {
    job.drop();
  }
}

/** The predict answer's JSON: inline for the usual small answer (no await), in a worker when big. */
function encodeAnswer(decoder: BigBodyDecoder, outputs: Record<string, Tensor>, format: JsonPredictFormat): string | Promise<string> {
  if (!decoder.wantsEncode(outputs)) return predictResponseJson(outputs, format);
  return decoder.encode(outputs, format).then((json) => json ?? predictResponseJson(outputs, format));
}

function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return new Uint8Array(0);
}

/**
 * The requests the lean path answers: a POST to `/v1/models/<name>[/versions/N|/labels/L]:predict`
 * in plain ASCII (no query, no percent-escapes, lower-case `/v1/models/`). Anything else,
 * and any body fastify would treat specially (gzip, chunked, empty, over the limit), goes to fastify.
 */
const LEAN_PREDICT_RE = /^\/v1\/models\/[\w.-]+(?:\/versions\/\d+|\/labels\/[\w.-]+)?:predict$/;

/**
 * The lean path: plain `:predict` POSTs are answered straight from node:http's `request`
 * event, without fastify's routing, hooks, content-type parser and reply object, by the same
 * code fastify's route runs ({@link answerRest}). The response is the same bytes fastify
 * writes (status, headers, body); the drain counts and refuses these requests as it does
 * fastify's; once the app starts closing, everything goes to fastify (its 503). Requests it
 * does not take are handed to fastify's own request handler unchanged.
 */
function installLeanPredict(app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>, ctx: RestContext): void {
  const server = app.server;
  const routing = (app as unknown as { routing: (req: IncomingMessage, res: ServerResponse) => void }).routing;
  const fastifyListeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (typeof routing !== 'function' || fastifyListeners.length !== 1) return;
  server.removeAllListeners('request');
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (closing || !leanPredict(ctx, req, res)) routing(req, res);
  });
}

/** Take `req` on the lean path (true), or leave it to fastify (false, nothing read or written). */
function leanPredict(ctx: RestContext, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (!LEAN_PREDICT_RE.test(url)) return false;
  const h = req.headers;
  const length = h['content-length'];
  if (length === undefined || length === '0' || h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
  const n = Number(length);
  if (!(n <= ctx.bodyLimit) || url === ctx.opts.metricsPath) return false;
  const admission = ctx.opts.admission;
  if (admission && !admission.enter(res)) return false;
  const start = performance.now();
  const chunks: Buffer[] = [];
  // A client that goes away mid-body: no answer to send (res 'close' ends the drain's count).
  // No 'error' listener is needed for that: node:http emits a request's 'error' (the reset)
  // only to listeners it has (IncomingMessage onError), and one more closure per request costs.
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    answerRest(ctx, 'POST', url, body, (a) => leanSend(ctx, res, a, start));
  });
  return true;
}

/** Write `a` as fastify's sendJson (+ the drain's onSend hook) would: same status, headers in the same order, body. */
function leanSend(ctx: RestContext, res: ServerResponse, a: RestAnswer, start: number): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ctx.opts.enableCors) Object.assign(headers, CORS_HEADERS_LOWER);
  if (ctx.opts.admission?.draining()) headers['connection'] = 'close';
  headers['content-length'] = String(Buffer.byteLength(a.body));
  res.writeHead(a.status, headers);
  res.end(a.body);
  report(ctx.opts, (performance.now() - start) / 1000, a);
}
