/**
 * TfsError → gRPC status, as upstream's `ToGRPCStatus` (model_servers/grpc_status_util.cc):
 * the canonical code is passed through unchanged (the numbering is the same), and
 * messages longer than 1024 bytes are cut and suffixed with `...TRUNCATED`.
 */
import type { StatusObject } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { Code, TfsError, asTfsError } from '../../errors.js';

/** Upstream's `kErrorMessageLimit`. */
export const MAX_ERROR_MESSAGE_BYTES = 1024;
export const TRUNCATED_SUFFIX = '...TRUNCATED';

/**
 * Cut a message to 1024 bytes of UTF-8 and add `...TRUNCATED`, as upstream does for gRPC
 * statuses. The cut backs off to a character boundary so the result stays valid UTF-8.
 */
export function truncateErrorMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= MAX_ERROR_MESSAGE_BYTES) return message;
  let end = MAX_ERROR_MESSAGE_BYTES;
  // Continuation bytes are 10xxxxxx: step back to the start of the character at `end`.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + TRUNCATED_SUFFIX;
}

/** The status grpc-js sends for a failed call: code, truncated message, empty trailers. */
export function grpcStatusOf(err: unknown): StatusObject {
  const e = asTfsError(err);
  return { code: e.code as number, details: truncateErrorMessage(e.message), metadata: new Metadata() };
}

/** True for errors that point at a bug or an environment problem rather than a bad request. */
export function isServerFault(err: unknown): boolean {
  if (!(err instanceof TfsError)) return true;
  return err.code === Code.INTERNAL || err.code === Code.UNKNOWN || err.code === Code.DATA_LOSS;
}
