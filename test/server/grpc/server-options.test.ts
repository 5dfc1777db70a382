/**
 * Server options over real sockets: message limits, channel arguments, UNIX socket, TLS
 * (with and without client verification), health service, reflection, graceful shutdown.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { Code, TfsError } from '../../../src/errors.js';
import { parseGrpcChannelArguments } from '../../../src/server/grpc/options.js';
import { createGrpcServer, grpcOptionsFromFlags } from '../../../src/server/grpc/server.js';
import { parseServeFlags } from '../../../src/server/flags.js';
import { truncateErrorMessage } from '../../../src/server/grpc/status.js';
import { fakeCoreWithHalfPlusTwo, type FakeCore } from '../../helpers/fake-core.js';
import { echoServable } from '../../helpers/grpc-fake-core.js';
import { makeTestPki, type TestPki } from './certs.js';
import { call, connect, connectTo, makeTensorProto } from './client.js';
import { startGrpc } from './harness.js';

let core: FakeCore;
before(() => {
  core = fakeCoreWithHalfPlusTwo();
  core.addServable(echoServable());
});

const predictReq = { model_spec: { name: 'half_plus_two' }, inputs: { x: makeTensorProto('DT_FLOAT', [1, 1], [2]) } };
const bigReq = (bytes: number): object => ({
  model_spec: { name: 'echo', signature_name: 'echo_uint8' },
  inputs: { x: { dtype: 'DT_UINT8', tensor_shape: { dim: [{ size: bytes }] }, tensor_content: Buffer.alloc(bytes, 7) } },
});
const unlimitedClient = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 };

describe('message size and channel arguments', () => {
  test('parseGrpcChannelArguments: int32 values as numbers, others as strings', () => {
    assert.deepEqual(parseGrpcChannelArguments('grpc.max_connection_age_ms=2000,grpc.x=abc,,grpc.big=3000000000, grpc.neg=-5'), {
      'grpc.max_connection_age_ms': 2000,
      'grpc.x': 'abc',
      'grpc.big': '3000000000',
      'grpc.neg': -5,
    });
    assert.deepEqual(parseGrpcChannelArguments(''), {});
    assert.deepEqual(parseGrpcChannelArguments('a=b=c'), { a: 'b=c' });
    assert.throws(() => parseGrpcChannelArguments('grpc.keepalive_time_ms'), (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && /expected key=value/.test(e.message));
  });

  test('default limits are upstream INT32_MAX: a 6 MB request and response pass (grpc-js defaults to 4 MB)', async () => {
    const h = await startGrpc({ core }, undefined, unlimitedClient);
    try {
      const r = await call(h.prediction, 'Predict', bigReq(6 * 1024 * 1024));
      assert.equal(r.err, null, r.err?.details);
      assert.equal(r.res.outputs.y.int_val.length, 6 * 1024 * 1024);
    } finally {
      await h.close();
    }
  });

  test('maxMessageBytes lowers the limit; channel arguments override it', async () => {
    const small = await startGrpc({ core, maxMessageBytes: 10_000 }, undefined, unlimitedClient);
    const viaArgs = await startGrpc({ core, channelArguments: 'grpc.max_receive_message_length=10000' }, undefined, unlimitedClient);
    try {
      for (const h of [small, viaArgs]) {
        assert.equal((await call(h.prediction, 'Predict', bigReq(20_000))).err?.code, Code.RESOURCE_EXHAUSTED);
        assert.equal((await call(h.prediction, 'Predict', predictReq)).err, null);
      }
    } finally {
      await small.close();
      await viaArgs.close();
    }
  });

  test('listens on a UNIX socket (--grpc_socket_path)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfs-grpc-sock-'));
    const path = join(dir, 'grpc.sock');
    const s = createGrpcServer({ core });
    await s.listenUnix(path);
    const client = connectTo(`unix:${path}`);
    try {
      const r = await call(client.prediction, 'Predict', predictReq);
      assert.equal(r.err, null, r.err?.details);
      assert.deepEqual(r.res.outputs.y.float_val, [3]);
      client.close();
    } finally {
      s.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a port in use fails with upstream\'s start-up text', async () => {
    const a = createGrpcServer({ core });
    const port = await a.listen('127.0.0.1', 0);
    const b = createGrpcServer({ core });
    try {
      await assert.rejects(b.listen('127.0.0.1', port), (e: unknown) => e instanceof TfsError && e.message.startsWith('Failed to BuildAndStart gRPC server'));
    } finally {
      a.forceShutdown();
      b.forceShutdown();
    }
  });

  test('truncateErrorMessage cuts at 1024 bytes on a character boundary', () => {
    assert.equal(truncateErrorMessage('short'), 'short');
    const s = 'é'.repeat(600); // 1200 bytes
    const t = truncateErrorMessage(s);
    assert.ok(t.endsWith('...TRUNCATED'));
    assert.equal(t, 'é'.repeat(512) + '...TRUNCATED');
    assert.equal(truncateErrorMessage('a'.repeat(1024)), 'a'.repeat(1024));
  });
});

describe('TLS from SSLConfig', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });

  const tlsCreds = (withClientCert: boolean): grpc.ChannelCredentials =>
    withClientCert
      ? grpc.credentials.createSsl(Buffer.from(pki.caCert), Buffer.from(pki.clientKey), Buffer.from(pki.clientCert))
      : grpc.credentials.createSsl(Buffer.from(pki.caCert));

  test('server certificate: TLS clients work, plaintext clients are refused', async (t) => {
    t.diagnostic(`certificates made with ${pki.via}`);
    const ssl = { serverKey: pki.serverKey, serverCert: pki.serverCert, customCa: '', clientVerify: false };
    const h = await startGrpc({ core, sslConfig: ssl }, tlsCreds(false), {}, 'localhost');
    const plain = connect(h.port);
    try {
      const r = await call(h.prediction, 'Predict', predictReq, 5000);
      assert.equal(r.err, null, r.err?.details);
      assert.deepEqual(r.res.outputs.y.float_val, [3]);
      assert.equal((await call(plain.prediction, 'Predict', predictReq, 2000)).err?.code, Code.UNAVAILABLE);
    } finally {
      plain.close();
      await h.close();
    }
  });

  test('client_verify: a client certificate signed by custom_ca is required', async () => {
    const ssl = { serverKey: pki.serverKey, serverCert: pki.serverCert, customCa: pki.caCert, clientVerify: true };
    const h = await startGrpc({ core, sslConfig: ssl }, tlsCreds(true), {}, 'localhost');
    const noCert = connect(h.port, tlsCreds(false), {}, 'localhost');
    try {
      const r = await call(h.prediction, 'Predict', predictReq, 5000);
      assert.equal(r.err, null, r.err?.details);
      assert.equal((await call(noCert.prediction, 'Predict', predictReq, 2000)).err?.code, Code.UNAVAILABLE);
    } finally {
      noCert.close();
      await h.close();
    }
  });

  test('--ssl_config_file in text format (PEM contents, as upstream) through the serve flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfs-grpc-ssl-'));
    const file = join(dir, 'ssl.config');
    const q = (pem: string): string => JSON.stringify(pem); // a text-format string literal with \n escapes
    writeFileSync(file, `server_key: ${q(pki.serverKey)}\nserver_cert: ${q(pki.serverCert)}\ncustom_ca: ${q(pki.caCert)}\nclient_verify: true\n`);
    try {
      const flags = parseServeFlags(
        [`--ssl_config_file=${file}`, '--grpc_max_threads=3', '--grpc_channel_arguments=grpc.keepalive_time_ms=60000', '--enable_grpc_healthcheck_service'],
        {},
      );
      const opts = grpcOptionsFromFlags(flags.values);
      assert.equal(opts.maxConcurrentCalls, 3);
      assert.deepEqual(opts.channelArguments, { 'grpc.keepalive_time_ms': 60000 });
      assert.equal(opts.enableHealthCheck, true);
      assert.equal(opts.sslConfig?.clientVerify, true);
      const h = await startGrpc({ core, ...opts }, tlsCreds(true), {}, 'localhost');
      try {
        const r = await call(h.prediction, 'Predict', predictReq, 5000);
        assert.equal(r.err, null, r.err?.details);
        assert.equal(h.grpc.limiter?.max, 3);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad PEM material fails at start-up with the reason', () => {
    assert.throws(
      () => createGrpcServer({ core, sslConfig: { serverKey: 'not a key', serverCert: pki.serverCert, customCa: '', clientVerify: false } }),
      (e: unknown) => e instanceof TfsError && e.code === Code.INVALID_ARGUMENT && e.message.startsWith('Invalid SSLConfig: '),
    );
  });
});

describe('health and reflection', () => {
  const healthPkg = protoLoader.loadSync('health/v1/health.proto', {
    includeDirs: [dirname(dirname(dirname(healthProtoPath)))],
    keepCase: true,
    enums: String,
  });
  // @grpc/reflection ships its .proto files next to its build output.
  const reflectionProtoDir = join(dirname(dirname(createRequire(import.meta.url).resolve('@grpc/reflection'))), 'proto');
  const reflectionPkg = protoLoader.loadSync(['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'], {
    includeDirs: [reflectionProtoDir],
    keepCase: true,
    longs: String,
    enums: String,
  });
  type Ctor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;
  const svc = (pkg: protoLoader.PackageDefinition, path: string): Ctor => {
    let o: any = grpc.loadPackageDefinition(pkg);
    for (const p of path.split('.')) o = o[p];
    return o as Ctor;
  };

  function healthCheck(client: grpc.Client, service: string): Promise<{ code: number; status?: string }> {
    return new Promise((resolve) => {
      (client as any).Check({ service }, (err: grpc.ServiceError | null, res: { status: string }) =>
        resolve(err ? { code: err.code } : { code: 0, status: res.status }),
      );
    });
  }

  function reflect(client: grpc.Client, req: object): Promise<any> {
    return new Promise((resolve, reject) => {
      const stream = (client as any).ServerReflectionInfo();
      stream.on('data', (d: unknown) => {
        resolve(d);
        stream.end();
      });
      stream.on('error', reject);
      stream.write(req);
    });
  }

  test('grpc.health.v1.Health: "", ModelService and PredictionService SERVING; NOT_SERVING on shutdown', async () => {
    const s = createGrpcServer({ core, enableHealthCheck: true });
    const port = await s.listen('127.0.0.1', 0);
    const client = new (svc(healthPkg, 'grpc.health.v1.Health'))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      for (const name of ['', 'tensorflow.serving.ModelService', 'tensorflow.serving.PredictionService']) {
        assert.deepEqual(await healthCheck(client, name), { code: 0, status: 'SERVING' }, name);
      }
      assert.equal((await healthCheck(client, 'nope')).code, Code.NOT_FOUND);
      s.setServingStatus('NOT_SERVING');
      assert.deepEqual(await healthCheck(client, ''), { code: 0, status: 'NOT_SERVING' });
    } finally {
      client.close();
      s.forceShutdown();
    }
  });

  test('health and reflection are off by default (upstream serves neither unless asked)', async () => {
    const s = createGrpcServer({ core });
    const port = await s.listen('127.0.0.1', 0);
    const client = new (svc(healthPkg, 'grpc.health.v1.Health'))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      assert.equal((await healthCheck(client, '')).code, Code.UNIMPLEMENTED);
    } finally {
      client.close();
      s.forceShutdown();
    }
  });

  test('server reflection lists the services and serves their descriptors (grpcurl works)', async () => {
    const s = createGrpcServer({ core, enableHealthCheck: true, enableReflection: true });
    const port = await s.listen('127.0.0.1', 0);
    const v1 = new (svc(reflectionPkg, 'grpc.reflection.v1.ServerReflection'))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const v1alpha = new (svc(reflectionPkg, 'grpc.reflection.v1alpha.ServerReflection'))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      for (const client of [v1, v1alpha]) {
        const list = await reflect(client, { list_services: '*' });
        const names = list.list_services_response.service.map((x: { name: string }) => x.name).sort();
        assert.deepEqual(names, ['grpc.health.v1.Health', 'tensorflow.serving.ModelService', 'tensorflow.serving.PredictionService']);
      }
      const files = await reflect(v1, { file_containing_symbol: 'tensorflow.serving.PredictionService' });
      const protos: Buffer[] = files.file_descriptor_response.file_descriptor_proto;
      assert.ok(protos.length > 0);
      const all = Buffer.concat(protos).toString('latin1');
      for (const sym of ['PredictionService', 'PredictRequest', 'TensorProto', 'tensor_content']) assert.ok(all.includes(sym), sym);
    } finally {
      v1.close();
      v1alpha.close();
      s.forceShutdown();
    }
  });
});

describe('shutdown', () => {
  test('graceful shutdown lets an in-flight call finish and refuses new ones', async () => {
    const h = await startGrpc({ core });
    const slow = {
      model_spec: { name: 'half_plus_two', signature_name: 'slow' },
      inputs: { x: makeTensorProto('DT_FLOAT', [1], [150]) },
    };
    const inflight = call(h.prediction, 'Predict', slow);
    await core.untilHeld(1); // the call is running: shutdown must let it finish
    const done = h.grpc.shutdown(5000);
    const r = await inflight;
    assert.equal(r.err, null, r.err?.details);
    await done;
    const after = connect(h.port);
    try {
      assert.equal((await call(after.prediction, 'Predict', predictReq, 1000)).err?.code, Code.UNAVAILABLE);
    } finally {
      after.close();
      h.prediction.close();
      h.model.close();
    }
  });
});
