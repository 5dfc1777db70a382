/**
 * Reading models from S3 and S3-compatible stores (MinIO, Ceph, Cloud Storage's
 * interoperability endpoint…) through the AWS SDK v3.
 *
 * Configuration comes from the environment, read as TensorFlow's S3 file system reads it,
 * plus the AWS SDK's own standard variables:
 *
 * - `AWS_REGION` (or `AWS_DEFAULT_REGION`, or the profile's region): default `us-east-1`,
 *   as TensorFlow.
 * - `S3_ENDPOINT` (TensorFlow's; `host[:port]` or a URL), else `AWS_ENDPOINT_URL_S3`, else
 *   `AWS_ENDPOINT_URL`: a custom endpoint, addressed path-style (`endpoint/bucket/key`), as
 *   S3-compatible stores expect.
 * - `S3_USE_HTTPS=0`: plain HTTP to an endpoint given without a scheme (default HTTPS).
 * - `S3_VERIFY_SSL=0`: do not verify the endpoint's certificate; `S3_CA_FILE`: a CA bundle.
 * - `S3_CONNECT_TIMEOUT_MSEC`, `S3_REQUEST_TIMEOUT_MSEC`: timeouts (as TensorFlow).
 * - Credentials: the SDK's default chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
 *   `AWS_SESSION_TOKEN`, `AWS_PROFILE` and ~/.aws, web identity, container and instance roles).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** The SDK is loaded on first use: serving local models does not pay for its import. */
type Sdk = typeof import('@aws-sdk/client-s3');

export interface S3Settings {
  /** Undefined: the SDK's own lookup (profile), then `us-east-1`. */
  readonly region: string | undefined;
  /** A custom endpoint URL (path-style addressing), or undefined for AWS. */
  readonly endpoint: string | undefined;
  readonly useHttps: boolean;
  readonly verifySsl: boolean;
  readonly caFile: string | undefined;
  readonly connectTimeoutMs: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  /** Static keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN); else the SDK's default chain. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
}

const off = (v: string | undefined): boolean => v !== undefined && /^(0|false|no|off)$/i.test(v.trim());
const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
};
const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

function credentialsOf(env: NodeJS.ProcessEnv): S3Settings['credentials'] {
  const accessKeyId = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = nonEmpty(env['AWS_SESSION_TOKEN']);
  return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
}

/** The S3 settings the environment gives (see the module comment). */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const useHttps = !off(env['S3_USE_HTTPS']);
  let endpoint = nonEmpty(env['S3_ENDPOINT']) ?? nonEmpty(env['AWS_ENDPOINT_URL_S3']) ?? nonEmpty(env['AWS_ENDPOINT_URL']);
  if (endpoint !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) endpoint = `${useHttps ? 'https' : 'http'}://${endpoint}`;
  return {
    region: nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']),
    endpoint,
    useHttps,
    verifySsl: !off(env['S3_VERIFY_SSL']),
    caFile: nonEmpty(env['S3_CA_FILE']),
    connectTimeoutMs: positive(env['S3_CONNECT_TIMEOUT_MSEC']),
    requestTimeoutMs: positive(env['S3_REQUEST_TIMEOUT_MSEC']),
    credentials: credentialsOf(env),
  };
}

/** One object under a version prefix: its key relative to that prefix. */
export interface S3Object {
  readonly rel: string;
  readonly size: number;
  readonly etag: string;
}

/** What a listing with a delimiter finds directly under a prefix. */
export interface S3Children {
  /** Names of the child "directories" (common prefixes), without the trailing `/`. */
  readonly dirs: string[];
  /** Whether anything at all is stored under the prefix. */
  readonly any: boolean;
}

/** Objects fetched at once while downloading a version. */
const DOWNLOAD_CONCURRENCY = 8;

export class S3Store {
  private client: S3Client | undefined;
  private ready: Promise<{ client: S3Client; sdk: Sdk }> | undefined;

  constructor(readonly settings: S3Settings) {}

  /** Where requests go, for messages. */
  endpointText(region?: string): string {
    return this.settings.endpoint ?? `https://s3.${region ?? this.settings.region ?? 'us-east-1'}.amazonaws.com`;
  }

  private config(region: string | undefined): S3ClientConfig {
    const s = this.settings;
    const agentOptions = {
      keepAlive: true,
      ...(s.verifySsl ? {} : { rejectUnauthorized: false }),
      ...(s.caFile ? { ca: readFileSync(s.caFile) } : {}),
    };
    const endpoint = s.endpoint ?? (s.useHttps ? undefined : `http://s3.${region ?? 'us-east-1'}.amazonaws.com`);
    return {
      ...(region === undefined ? {} : { region }),
      ...(s.credentials === undefined ? {} : { credentials: s.credentials }),
      ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
      requestHandler: {
        httpsAgent: new HttpsAgent(agentOptions),
        ...(s.connectTimeoutMs === undefined ? {} : { connectionTimeout: s.connectTimeoutMs }),
        ...(s.requestTimeoutMs === undefined ? {} : { requestTimeout: s.requestTimeoutMs, throwOnRequestTimeout: true }),
      },
    };
  }

  /** The client; without a region from the environment, the SDK's lookup, then us-east-1 (as TF). */
  private async s3(): Promise<{ client: S3Client; sdk: Sdk }> {
    this.ready ??= (async () => {
      const sdk = await import('@aws-sdk/client-s3');
      const first = new sdk.S3Client(this.config(this.settings.region));
      if (this.settings.region !== undefined) return { client: first, sdk };
      try {
        await first.config.region();
        return { client: first, sdk };
      } catch {
        first.destroy();
        return { client: new sdk.S3Client(this.config('us-east-1')), sdk };
      }
    })();
    const ready = await this.ready;
    this.client = ready.client;
    return ready;
  }

  /** Child "directories" directly under `prefix` (ListObjectsV2 with a `/` delimiter). */
  async listChildren(bucket: string, prefix: string, signal?: AbortSignal): Promise<S3Children> {
    const { client: s3, sdk } = await this.s3();
    const dirs: string[] = [];
    let any = false;
    let token: string | undefined;
    do {
      const out = await s3.send(
        new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      if ((out.Contents?.length ?? 0) > 0) any = true;
      for (const p of out.CommonPrefixes ?? []) {
        if (p.Prefix === undefined) continue;
        any = true;
        dirs.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return { dirs, any };
  }

  /** Every object under `prefix` (recursively), keys relative to it; "directory marker" keys are left out. */
  async listObjects(bucket: string, prefix: string, signal?: AbortSignal): Promise<S3Object[]> {
    const { client: s3, sdk } = await this.s3();
    const out: S3Object[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key.endsWith('/')) continue;
        out.push({ rel: o.Key.slice(prefix.length), size: o.Size ?? 0, etag: o.ETag ?? '' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    return out;
  }

  /**
   * Download `objects` (listed under `prefix`) into the directory `dest`, which must not
   * exist yet and should be a temporary one (the caller renames it into place when this
   * resolves). Each file's size is checked against the listing.
   */
  async download(bucket: string, prefix: string, objects: readonly S3Object[], dest: string, signal?: AbortSignal): Promise<void> {
    const { client: s3, sdk } = await this.s3();
    await mkdir(dest, { recursive: true });
    const queue = [...objects];
    const worker = async (): Promise<void> => {
      for (let o = queue.shift(); o !== undefined; o = queue.shift()) {
        const file = safeJoin(dest, o.rel);
        await mkdir(dirname(file), { recursive: true });
        const res = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: prefix + o.rel }), signal ? { abortSignal: signal } : {});
        if (!(res.Body instanceof Readable)) throw new Error(`GetObject s3://${bucket}/${prefix}${o.rel} returned no stream`);
        const out = createWriteStream(file);
        await pipeline(res.Body, out, signal ? { signal } : {});
        if (out.bytesWritten !== o.size) {
          throw new Error(`s3://${bucket}/${prefix}${o.rel} changed while downloading (${out.bytesWritten} bytes, listed ${o.size})`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, Math.max(1, objects.length)) }, worker));
  }

  close(): void {
    this.client?.destroy();
  }
}

/** `dest/rel`, refusing keys that would land outside `dest` (`..`, absolute parts). */
function safeJoin(dest: string, rel: string): string {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new Error(`object key part ${JSON.stringify(rel)} cannot be stored as a file`);
  }
  const file = join(dest, ...parts);
  if (!file.startsWith(dest + sep)) throw new Error(`object key part ${JSON.stringify(rel)} cannot be stored as a file`);
  return file;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * A failed S3 call as a TF-style status text `CODE: reason`: NOT_FOUND for a missing
 * bucket, PERMISSION_DENIED for refused credentials, UNAVAILABLE for an endpoint that
 * cannot be reached.
 */
export function describeS3Error(e: unknown, bucket: string, endpoint: string): string {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  const name = err.name ?? '';
  const http = err.$metadata?.httpStatusCode;
  const msg = err.message ?? String(e);
  const code = err.code ?? (err.cause as { code?: string } | undefined)?.code ?? '';
  if (name === 'NoSuchBucket' || (http === 404 && name !== 'NoSuchKey')) {
    return `NOT_FOUND: bucket ${bucket} does not exist at ${endpoint} (${name || 'HTTP 404'}: ${msg})`;
  }
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(name) || http === 403 || http === 401) {
    return `PERMISSION_DENIED: ${endpoint} refused access to bucket ${bucket} (${name || `HTTP ${http}`}: ${msg}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the profile/role)`;
  }
  if (NETWORK_CODES.has(code) || name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket hang up/.test(msg)) {
    return `UNAVAILABLE: cannot reach the S3 endpoint ${endpoint} (${code || name}: ${msg}); check S3_ENDPOINT/AWS_ENDPOINT_URL and S3_USE_HTTPS`;
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(msg)) {
    return `PERMISSION_DENIED: no AWS credentials (${msg}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role`;
  }
  return `UNKNOWN: S3 request to ${endpoint} for bucket ${bucket} failed (${name || code || 'Error'}: ${msg})`;
}
