/**
 * What `tfs bench` sends requests to: a REST endpoint (our minimal keep-alive HTTP/1.1 client, http1.ts) or a gRPC
 * PredictionService (grpc-js, pre-encoded request bytes). Each request body is built once;
 * the send path does no per-request encoding, so the load generator is not the bottleneck.
 */
import * as grpc from '@grpc/grpc-js';
import { Http1Pool, rawPost } from './http1.js';
import { codeName } from '../errors.js';

export interface SendResult {
  readonly ok: boolean;
  /** HTTP status code (`200`, `404`) or gRPC status name (`OK`, `NOT_FOUND`), or `ERROR: <reason>` for transport failures. */
  readonly status: string;
  /** For failures: the first part of the error body or details (kept for the report). */
  readonly detail?: string;
}

export interface Target {
  readonly kind: 'rest' | 'grpc';
  /** Human-readable endpoint, e.g. `POST http://127.0.0.1:8501/v1/models/m:predict`. */
  readonly describe: string;
  send(): Promise<SendResult>;
  close(): Promise<void>;
}

export interface RestTargetOptions {
  /** Base URL, e.g. http://127.0.0.1:8501 */
  readonly url: string;
  /** Path including the verb, e.g. /v1/models/m:predict */
  readonly path: string;
  /** The request body, or several (--input), sent in turn. */
  readonly body: string | Uint8Array | readonly (string | Uint8Array)[];
  readonly connections: number;
  readonly timeoutMs: number;
  /** Extra request headers (--header), e.g. a canary route's `model-version`. */
  readonly headers?: readonly (readonly [string, string])[];
  /** For https:// URLs: a CA bundle (PEM) to trust instead of Node's roots (--cacert). */
  readonly ca?: Buffer;
}

export class RestTarget implements Target {
  readonly kind = 'rest' as const;
  readonly describe: string;
  private readonly pool: Http1Pool;
  private readonly raws: Buffer[];
  private next = 0;

  constructor(opts: RestTargetOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--url must be an http:// or https:// URL (got ${opts.url})`);
    const https = u.protocol === 'https:';
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (https ? 443 : 80));
    const tls = https ? { servername: host, ...(opts.ca ? { ca: opts.ca } : {}) } : undefined;
    this.pool = new Http1Pool(host, port, opts.connections, opts.timeoutMs, tls);
    const bodies = typeof opts.body === 'string' || opts.body instanceof Uint8Array ? [opts.body] : opts.body;
    if (bodies.length === 0) throw new Error('no request body');
    this.raws = bodies.map((b) => rawPost(u.hostname, port, opts.path, Buffer.from(b), opts.headers ?? []));
    this.describe = `POST ${u.origin}${opts.path}${bodies.length > 1 ? ` (${bodies.length} bodies in turn)` : ''}`;
  }

  async send(): Promise<SendResult> {
    const raw = this.raws[this.next++ % this.raws.length]!;
    try {
      const r = await this.pool.request(raw);
      if (r.status === 200) return { ok: true, status: '200' };
      return { ok: false, status: String(r.status), detail: r.errorText ?? '' };
    } catch (err) {
      return transportFailure(err);
    }
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}

export interface GrpcTargetOptions {
  /** host:port */
  readonly address: string;
  /** Full method path, e.g. /tensorflow.serving.PredictionService/Predict */
  readonly method: string;
  /** The encoded request message, or several (--input), sent in turn. */
  readonly request: Uint8Array | readonly Uint8Array[];
  /** Number of HTTP/2 connections to spread calls over. */
  readonly connections: number;
  readonly timeoutMs: number;
  readonly credentials?: grpc.ChannelCredentials;
  readonly maxMessageBytes?: number;
  /** Extra call metadata (--header). */
  readonly headers?: readonly (readonly [string, string])[];
}

const passThrough = (b: Buffer): Buffer => b;

export class GrpcTarget implements Target {
  readonly kind = 'grpc' as const;
  readonly describe: string;
  private readonly clients: grpc.Client[];
  private readonly requests: Buffer[];
  private readonly metadata: grpc.Metadata;
  private next = 0;
  private nextRequest = 0;

  constructor(private readonly opts: GrpcTargetOptions) {
    const max = opts.maxMessageBytes ?? 2147483647;
    this.clients = Array.from(
      { length: Math.max(1, opts.connections) },
      () =>
        new grpc.Client(opts.address, opts.credentials ?? grpc.credentials.createInsecure(), {
          // A local subchannel pool per client gives each its own connection.
          'grpc.use_local_subchannel_pool': 1,
          'grpc.max_receive_message_length': max,
          'grpc.max_send_message_length': max,
        }),
    );
    this.requests = (opts.request instanceof Uint8Array ? [opts.request] : opts.request).map((r) => Buffer.from(r));
    if (this.requests.length === 0) throw new Error('no request body');
    this.metadata = new grpc.Metadata();
    for (const [k, v] of opts.headers ?? []) this.metadata.add(k.toLowerCase(), v);
    this.describe = `gRPC ${opts.address}${opts.method}${this.requests.length > 1 ? ` (${this.requests.length} requests in turn)` : ''}`;
  }

  send(): Promise<SendResult> {
    const client = this.clients[this.next++ % this.clients.length]!;
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        this.opts.method,
        passThrough,
        passThrough,
        this.requests[this.nextRequest++ % this.requests.length]!,
        this.metadata.clone(),
        { deadline: Date.now() + this.opts.timeoutMs },
        (err: grpc.ServiceError | null) => {
          if (!err) resolve({ ok: true, status: 'OK' });
          else resolve({ ok: false, status: codeName(err.code), detail: err.details.slice(0, 300) });
        },
      );
    });
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close();
  }
}

function transportFailure(err: unknown): SendResult {
  const e = err as { code?: string; message?: string };
  return { ok: false, status: `ERROR: ${e.code ?? 'transport'}`, detail: String(e.message ?? err).slice(0, 300) };
}
