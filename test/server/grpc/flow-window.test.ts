/**
 * The gRPC server's HTTP/2 receive windows, seen by a raw node:http2 client over loopback:
 * the SETTINGS frame carries the stream window, a WINDOW_UPDATE opens the connection's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ClientHttp2Session, connect } from 'node:http2';
import { DEFAULT_FLOW_WINDOW_BYTES, flowWindowBytes } from '../../../src/server/grpc/flow-window.js';
import { createGrpcServer } from '../../../src/server/grpc/server.js';
import { fakeCoreWithHalfPlusTwo } from '../../helpers/fake-core.js';

/** What the server granted: the stream window of its SETTINGS, and the connection window after its WINDOW_UPDATE. */
async function windowsGranted(channelArguments?: string): Promise<{ stream: number; connection: number }> {
  const grpc = createGrpcServer({ core: fakeCoreWithHalfPlusTwo(), ...(channelArguments ? { channelArguments } : {}) });
  const port = await grpc.listen('127.0.0.1', 0);
  const client: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  try {
    // The server changes its windows as the session starts, so its SETTINGS and WINDOW_UPDATE
    // are on the wire before its answer to a ping sent after that (remoteSettings and state
    // read nghttp2's live values).
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.once('remoteSettings', () => resolve());
    });
    await new Promise<void>((resolve, reject) => client.ping((err) => (err ? reject(err) : resolve())));
    return { stream: client.remoteSettings.initialWindowSize ?? 0, connection: client.state.remoteWindowSize ?? 0 };
  } finally {
    client.close();
    grpc.forceShutdown();
  }
}

test('gRPC connections get 4 MiB receive windows, not nghttp2\'s 64 KiB (big requests stream without a round trip per 64 KiB)', async () => {
  assert.deepEqual(await windowsGranted(), { stream: DEFAULT_FLOW_WINDOW_BYTES, connection: DEFAULT_FLOW_WINDOW_BYTES });
});

test('grpc-node.flow_control_window sets both windows', async () => {
  assert.deepEqual(await windowsGranted('grpc-node.flow_control_window=1048576'), { stream: 1 << 20, connection: 1 << 20 });
});

test('flowWindowBytes: the channel argument, capped at HTTP/2\'s largest window; 0 keeps the defaults', () => {
  assert.equal(flowWindowBytes({}), DEFAULT_FLOW_WINDOW_BYTES);
  assert.equal(flowWindowBytes({ 'grpc-node.flow_control_window': 2 ** 40 }), 2 ** 31 - 1);
  assert.equal(flowWindowBytes({ 'grpc-node.flow_control_window': '0' }), 0);
  assert.equal(flowWindowBytes({ 'grpc-node.flow_control_window': 'many' }), DEFAULT_FLOW_WINDOW_BYTES);
});
