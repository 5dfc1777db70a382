/**
 * Where a model's base path points: a local directory (an absolute path or a `file://` URI),
 * an S3 (or S3-compatible) prefix (`s3://bucket/prefix`), or a scheme tfs has no file system
 * for (`gs://`, `hdfs://`, …), which gets TF's "not implemented" status and the alternatives.
 *
 * A URI is never joined onto the working directory: `s3://b/m` is never `<cwd>/s3:/b/m`.
 */
import { fileURLToPath } from 'node:url';
import { Errors } from '../errors.js';

export type StorageLocation =
  | { readonly kind: 'local'; readonly path: string }
  | {
      readonly kind: 's3';
      /** The base path as written (`s3://bucket/prefix`). */
      readonly uri: string;
      readonly bucket: string;
      /** Key prefix of the base "directory": empty for the bucket's root, else ends in `/`. */
      readonly prefix: string;
    }
  | { readonly kind: 'unsupported'; readonly scheme: string; readonly error: string };

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** The URI scheme of a base path, lower case, or undefined for a plain path. */
export function schemeOf(basePath: string): string | undefined {
  return SCHEME.exec(basePath)?.[1]?.toLowerCase();
}

/** Parse a base path (see the module comment). */
export function parseStorageLocation(basePath: string): StorageLocation {
  const scheme = schemeOf(basePath);
  if (scheme === undefined) return { kind: 'local', path: basePath };
  if (scheme === 'file') {
    try {
      return { kind: 'local', path: fileURLToPath(basePath) };
    } catch {
      return { kind: 'local', path: basePath.slice('file://'.length) };
    }
  }
  if (scheme === 's3') {
    const rest = basePath.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (bucket === '') {
      return { kind: 'unsupported', scheme, error: `INVALID_ARGUMENT: S3 path doesn't contain a bucket name: ${basePath}` };
    }
    return { kind: 's3', uri: basePath, bucket, prefix: key === '' ? '' : `${key}/` };
  }
  return { kind: 'unsupported', scheme, error: Errors.unsupportedFileSystemScheme(scheme, basePath).toString() };
}
