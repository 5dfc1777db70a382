/** Start a tfs gRPC server on 127.0.0.1:0 with test clients; `close()` stops both. */
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { type GrpcServerOptions, type TfsGrpcServer, createGrpcServer } from '../../../src/server/grpc/server.js';
import { type TestClients, connect } from './client.js';

export interface Harness extends TestClients {
  readonly port: number;
  readonly grpc: TfsGrpcServer;
  close(): Promise<void>;
}

export async function startGrpc(
  opts: GrpcServerOptions,
  clientCreds?: ChannelCredentials,
  channelOptions: ChannelOptions = {},
  clientHost = '127.0.0.1',
): Promise<Harness> {
  const grpc = createGrpcServer(opts);
  const port = await grpc.listen('127.0.0.1', 0);
  const clients = connect(port, clientCreds, channelOptions, clientHost);
  return {
    ...clients,
    port,
    grpc,
    close: async () => {
      clients.close();
      grpc.forceShutdown();
    },
  };
}
