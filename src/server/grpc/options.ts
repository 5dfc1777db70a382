/**
 * gRPC server settings from tensorflow_model_server's flags: message size limits,
 * `--grpc_channel_arguments`, and TLS from an SSLConfig (tfserving-spec.md §2.1, §3.8, §4).
 */
import { createSecureContext } from 'node:tls';
import { ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import type { SslConfig } from '../../config/types.js';
import { Errors } from '../../errors.js';

/** Upstream sets the send and receive limits to INT32_MAX (2 GiB − 1). */
export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** A parsed `--grpc_channel_arguments` value: int32 values as numbers, everything else as strings. */
export type GrpcChannelArguments = Record<string, number | string>;

const INT32 = /^\s*[+-]?\d+\s*$/;

/**
 * Parse `--grpc_channel_arguments` (`k=v,k=v`), as upstream's `parseGrpcChannelArgs`: each
 * value is passed as an int when it parses as an int32, else as a string. Empty entries
 * (a trailing comma) are skipped; an entry without `=` is an INVALID_ARGUMENT error
 * (upstream would crash on it). Only the first `=` splits key and value.
 */
export function parseGrpcChannelArguments(text: string): GrpcChannelArguments {
  const out: GrpcChannelArguments = {};
  for (const raw of text.split(',')) {
    if (raw.trim() === '') continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      throw Errors.grpcChannelArgumentSyntax(raw);
    }
    const key = raw.slice(0, eq).trim();
    const value = raw.slice(eq + 1);
    const n = INT32.test(value) ? Number(value) : NaN;
    out[key] = Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : value;
  }
  return out;
}

/** Channel arguments grpc-js servers read; others are accepted and ignored (logged at start-up). */
export const GRPC_JS_SERVER_ARGUMENTS: ReadonlySet<string> = new Set([
  'grpc.max_receive_message_length',
  'grpc.max_send_message_length',
  'grpc.max_concurrent_streams',
  'grpc.keepalive_time_ms',
  'grpc.keepalive_timeout_ms',
  'grpc.keepalive_permit_without_calls',
  'grpc.max_connection_age_ms',
  'grpc.max_connection_age_grace_ms',
  'grpc.max_connection_idle_ms',
  'grpc.enable_channelz',
  'grpc-node.max_session_memory',
  'grpc-node.flow_control_window',
  'grpc-node.tls_enable_trace',
  'grpc.server_call_metric_recording',
]);

/**
 * The grpc-js server options: upstream's message limits (or `maxMessageBytes`), channelz off,
 * then the channel arguments on top (the more specific setting wins, as in a gRPC C++ builder
 * where both are set). tfs serves no channelz service, so grpc-js's per-call channelz
 * bookkeeping (counters, timestamps and five closures per call) would be pure cost;
 * `--grpc_channel_arguments=grpc.enable_channelz=1` turns it back on.
 */
export function grpcServerOptions(
  maxMessageBytes: number = DEFAULT_GRPC_MAX_MESSAGE_BYTES,
  channelArguments: GrpcChannelArguments = {},
): ServerOptions {
  if (!Number.isInteger(maxMessageBytes) || (maxMessageBytes < 0 && maxMessageBytes !== -1)) {
    throw Errors.grpcMaxMessageSize(maxMessageBytes);
  }
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.enable_channelz': 0,
    ...channelArguments,
  } as ServerOptions;
}

/**
 * Server credentials from an SSLConfig, as upstream's `BuildServerCredentials`: the
 * server key and certificate (PEM contents), `custom_ca` as the roots that verify client
 * certificates, and `client_verify` to require and verify a client certificate.
 * The PEM material is checked here so a bad file fails at start-up with the reason.
 */
export function sslServerCredentials(ssl: SslConfig): ServerCredentials {
  const key = Buffer.from(ssl.serverKey, 'utf8');
  const cert = Buffer.from(ssl.serverCert, 'utf8');
  const ca = ssl.customCa ? Buffer.from(ssl.customCa, 'utf8') : null;
  try {
    createSecureContext({ key, cert, ...(ca ? { ca } : {}) });
  } catch (err) {
    throw Errors.invalidSslConfig((err as Error).message, err);
  }
  return ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], ssl.clientVerify);
}
