/**
 * HTTP/2 receive windows of the gRPC server's connections.
 *
 * grpc-js's server keeps nghttp2's defaults: 64 KiB per stream and 64 KiB for the whole
 * connection. A client may then have only 64 KiB in flight, so a 400 KB PredictRequest takes
 * a dozen WINDOW_UPDATE round trips, and while the event loop runs a model nothing is acked:
 * the next request's bytes wait in the client and the server idles between requests.
 * tensorflow_model_server (gRPC C++) grows its windows from the measured bandwidth-delay
 * product instead, so its clients stream big requests at full speed. tfs opens both windows
 * once per connection, to `grpc-node.flow_control_window` when the channel arguments set it
 * (the knob grpc-js's client reads) or {@link DEFAULT_FLOW_WINDOW_BYTES}. The window bounds
 * what one connection can make the server buffer before it reads, so it stays modest.
 */
import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import type { GrpcChannelArguments } from './options.js';
import type { Logger } from '../../util/logger.js';

export const DEFAULT_FLOW_WINDOW_BYTES = 4 << 20;
/** HTTP/2's largest window (RFC 9113, 6.9.1). */
const MAX_WINDOW = 2 ** 31 - 1;

/** The window the channel arguments ask for, or the default; 0 or less keeps nghttp2's 64 KiB. */
export function flowWindowBytes(args: GrpcChannelArguments): number {
  const v = args['grpc-node.flow_control_window'];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : DEFAULT_FLOW_WINDOW_BYTES;
  return Number.isFinite(n) ? Math.min(MAX_WINDOW, Math.floor(n)) : DEFAULT_FLOW_WINDOW_BYTES;
}

const tuned = new WeakSet<Http2Server>();

/**
 * Give every connection of `server`'s bound ports (call after each bind) the window. grpc-js
 * keeps its http2 servers private (`http2Servers`, a Map keyed by them, in 1.14); if a later
 * grpc-js renames it, the server keeps nghttp2's windows and this says so once.
 */
export function openFlowWindows(server: Server, bytes: number, logger: Logger): void {
  if (bytes <= 0) return;
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    logger.warn('grpc-js keeps its http2 servers elsewhere: gRPC connections keep 64 KiB flow-control windows');
    return;
  }
  for (const h of http2Servers.keys()) {
    if (tuned.has(h)) continue;
    tuned.add(h);
    h.on('session', (session: Http2Session) => {
      // The stream window goes out in a SETTINGS frame, the connection's in a WINDOW_UPDATE.
      session.settings({ initialWindowSize: bytes });
      session.setLocalWindowSize(bytes);
    });
  }
}
