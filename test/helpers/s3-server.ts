/**
 * A real S3-compatible server for tests: s3rver (pure JavaScript, from npm) on 127.0.0.1,
 * port 0, storing into a temporary directory. `env` holds what tfs reads to reach it
 * (S3_ENDPOINT, the credentials s3rver knows, a region); `client` is an SDK client for
 * the test's own uploads and deletes.
 *
 * s3rver checks that the access key exists (InvalidAccessKeyId otherwise) but its
 * canonical request differs from the SDK's for some listings (`delimiter=%2F`), so it runs
 * with `allowMismatchedSignatures`: a wrong secret is not detected, an unknown key is.
 * Buckets are created through its `configureBuckets` option for the same reason.
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  /** Stop the server (idempotent) and remove its storage. */
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as S3rverClass;

export interface S3TestServer {
  readonly endpoint: string;
  /** What tfs needs in its environment to read from this server. */
  readonly env: Record<string, string>;
  readonly client: S3Client;
  /** Upload every file under `localDir` to `s3://bucket/prefix/…` (in sorted order, or in `order` when given). */
  putTree(localDir: string, bucket: string, prefix: string, order?: (files: string[]) => string[]): Promise<void>;
  putObject(bucket: string, key: string, body: Uint8Array | string): Promise<void>;
  /** Delete every object under `s3://bucket/prefix`. */
  removePrefix(bucket: string, prefix: string): Promise<void>;
  /** Stop the server (idempotent) and remove its storage. */
  close(): Promise<void>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** Start s3rver on loopback with `buckets` created. */
export async function startS3Server(buckets: readonly string[] = ['models']): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'tfs-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: true, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver predates the SDK's default checksums on uploads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const putObject = async (bucket: string, key: string, body: Uint8Array | string): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  let closed = false;
  return {
    endpoint,
    env,
    client,
    putObject,
    async putTree(localDir, bucket, prefix, order) {
      const files = await filesUnder(localDir);
      for (const f of order ? order(files) : files) await putObject(bucket, `${prefix.replace(/\/$/, '')}/${f}`, await readFile(join(localDir, f)));
    },
    async removePrefix(bucket, prefix) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const o of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    },
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
