/**
 * TfsError → the grpc-js status object. The code and the (truncated) message are derived
 * in errors.ts (`grpcStatusCodeOf`, `grpcDetailsOf`), next to the HTTP mapping.
 */
import type { StatusObject } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { Code, TfsError, asTfsError, grpcDetailsOf } from '../../errors.js';

export { MAX_ERROR_MESSAGE_BYTES, TRUNCATED_SUFFIX, truncateErrorMessage } from '../../errors.js';

/** The status grpc-js sends for a failed call: code, truncated message, empty trailers. */
export function grpcStatusOf(err: unknown): StatusObject {
  const e = asTfsError(err);
  return { code: e.grpcStatus, details: grpcDetailsOf(e.message), metadata: new Metadata() };
}

/** True for errors that point at a bug or an environment problem rather than a bad request. */
export function isServerFault(err: unknown): boolean {
  if (!(err instanceof TfsError)) return true;
  return err.code === Code.INTERNAL || err.code === Code.UNKNOWN || err.code === Code.DATA_LOSS;
}
