/**
 * The hand-written PredictRequest decoder and PredictResponse encoder (codec.ts) against
 * protobufjs, over many encodings: what the readers of a request see (model spec, output
 * filter, aliases, every decoded tensor or its error) must be the same, and replies must be
 * the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import {
  UnparsableRequest,
  decodePredictRequest,
  decodeRequest,
  encodePredictResponse,
  encodePredictResponseGeneral,
  readPredictRequest,
  servingTypes,
  type PredictRequestMsg,
} from '../../../src/server/grpc/codec.js';
import { modelSpecFromProto } from '../../../src/servables/model-spec.js';
import { RequestBudget } from '../../../src/tensor/limits.js';
import { requestTensorFromProto } from '../../../src/tensor/tensor-proto.js';
import type { Tensor } from '../../../src/tensor/tensor.js';

/** A deterministic generator (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const errorText = (f: () => unknown): unknown => {
  try {
    return f();
  } catch (e) {
    return { error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
  }
};

function tensorView(t: Tensor): unknown {
  const data = Array.isArray(t.data)
    ? (t.data as Uint8Array[]).map((b) => Buffer.from(b).toString('hex'))
    : Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength).toString('hex');
  return { dtype: t.dtype, shape: t.shape, data };
}

/** Everything the gRPC Predict path reads of a decoded request. */
function requestView(msg: PredictRequestMsg | UnparsableRequest): unknown {
  if (msg instanceof UnparsableRequest) return { unparsable: msg.error.message };
  const inputs = msg.inputs ?? {};
  const budget = new RequestBudget();
  return {
    spec: errorText(() => modelSpecFromProto(msg.model_spec)),
    name: msg.model_spec?.name ?? '',
    filter: [...(msg.output_filter ?? [])],
    aliases: Object.keys(inputs),
    tensors: Object.keys(inputs).map((a) => errorText(() => tensorView(requestTensorFromProto(inputs[a], a, budget)))),
  };
}

const viaProtobufjs = (buf: Buffer): PredictRequestMsg | UnparsableRequest =>
  decodeRequest<PredictRequestMsg>(servingTypes().PredictRequest, buf);

let fastHits = 0;
function sameAsProtobufjs(buf: Buffer, what: string): void {
  if (readPredictRequest(buf)) fastHits++;
  assert.deepEqual(requestView(decodePredictRequest(buf)), requestView(viaProtobufjs(buf)), `${what}: ${buf.toString('hex')}`);
}

const encodeRequest = (obj: object): Buffer => {
  const T = servingTypes().PredictRequest;
  return Buffer.from(T.encode(T.fromObject(obj as Record<string, unknown>)).finish());
};

const DTYPES = ['DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_INT64', 'DT_STRING', 'DT_BOOL', 'DT_UINT8', 'DT_HALF', 'DT_INVALID', 'DT_FLOAT_REF'];
const NAMES = ['half_plus_two', 'my_model', '', 'modèle', 'a b'];

function randomTensor(r: () => number): Record<string, unknown> {
  const dtype = DTYPES[Math.floor(r() * DTYPES.length)]!;
  const rank = Math.floor(r() * 4);
  const dims = Array.from({ length: rank }, () => ({ size: Math.floor(r() * 4) + (r() < 0.05 ? 200 : 0) - (r() < 0.03 ? 1 : 0) }));
  const n = dims.reduce((a, d) => a * d.size, 1);
  const t: Record<string, unknown> = { dtype, tensor_shape: { dim: dims } };
  const k = r();
  const count = r() < 0.8 ? Math.max(0, n) : Math.floor(r() * 5);
  const vals = Array.from({ length: count }, () => (r() < 0.1 ? NaN : (r() - 0.5) * 1e6));
  if (k < 0.35) t['tensor_content'] = Buffer.from(new Float32Array(vals).buffer);
  else if (k < 0.55) t['float_val'] = vals;
  else if (k < 0.65) t['double_val'] = vals;
  else if (k < 0.75) t['int_val'] = vals.map((v) => (Number.isNaN(v) ? 0 : Math.trunc(v / (r() < 0.5 ? 1 : 1e3))));
  else if (k < 0.8) t['int64_val'] = vals.map((v) => String(Math.trunc(Number.isNaN(v) ? 1 : v)));
  else if (k < 0.85) t['string_val'] = vals.map((v) => Buffer.from(String(v)));
  else if (k < 0.9) t['bool_val'] = vals.map((v) => v > 0);
  if (r() < 0.05) t['version_number'] = 1;
  return t;
}

function randomRequest(r: () => number): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  if (r() < 0.9) {
    const spec: Record<string, unknown> = { name: NAMES[Math.floor(r() * NAMES.length)] };
    const v = r();
    if (v < 0.3) spec['version'] = { value: String(Math.floor(r() * 1000)) };
    else if (v < 0.35) spec['version'] = {};
    else if (v < 0.4) spec['version'] = { value: r() < 0.5 ? '-3' : '9007199254740993' };
    else if (v < 0.5) spec['version_label'] = r() < 0.5 ? 'stable' : '';
    if (r() < 0.5) spec['signature_name'] = r() < 0.8 ? 'serving_default' : 'sérving';
    req['model_spec'] = spec;
  }
  const inputs: Record<string, unknown> = {};
  const count = Math.floor(r() * 4);
  for (let i = 0; i < count; i++) inputs[['x', 'dense_input', '', 'ä', 'in_1'][Math.floor(r() * 5)]!] = randomTensor(r);
  req['inputs'] = inputs;
  if (r() < 0.2) req['output_filter'] = r() < 0.5 ? ['y'] : ['y', 'z'];
  return req;
}

test('hand-decoded PredictRequests read as protobufjs reads them: 3000 random requests', () => {
  fastHits = 0;
  const r = rng(20);
  for (let i = 0; i < 3000; i++) sameAsProtobufjs(encodeRequest(randomRequest(r)), `random request ${i}`);
  // The common shapes must actually take the hand-written path.
  assert.ok(fastHits > 1000, `only ${fastHits} of 3000 requests were decoded by hand`);
});

test('hand-decoded PredictRequests: every prefix and single-byte change of real requests', () => {
  const r = rng(7);
  for (let i = 0; i < 60; i++) {
    const buf = encodeRequest(randomRequest(r));
    for (let n = 0; n < buf.length; n++) sameAsProtobufjs(buf.subarray(0, n), `prefix ${n} of request ${i}`);
    for (let k = 0; k < 40 && buf.length > 0; k++) {
      const changed = Buffer.from(buf);
      changed[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
      sameAsProtobufjs(changed, `changed request ${i}`);
    }
  }
});

/** A request written field by field, for encodings protobufjs's encoder never makes. */
function handWritten(write: (w: protobuf.Writer) => void): Buffer {
  const w = protobuf.Writer.create();
  write(w);
  return Buffer.from(w.finish());
}

/** `inputs { key: alias value: <tensor fields> }`. */
const input = (w: protobuf.Writer, alias: string, tensor: (t: protobuf.Writer) => void): void => {
  w.uint32(0x12).fork().uint32(0x0a).string(alias).uint32(0x12).fork();
  tensor(w);
  w.ldelim().ldelim();
};
const shape2x1 = (t: protobuf.Writer): void => {
  t.uint32(0x12).fork().uint32(0x12).fork().uint32(0x08).int64(2).ldelim().uint32(0x12).fork().uint32(0x08).int64(1).ldelim().ldelim();
};

test('hand-decoded PredictRequests: unusual encodings agree with protobufjs', () => {
  const cases: Record<string, Buffer> = {
    'unpacked float_val': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0x2d).float(1.5), t.uint32(0x2d).float(2)))),
    'float_val in two packed runs': handWritten((w) =>
      input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0x2a).bytes(Buffer.from(new Float32Array([1]).buffer)), t.uint32(0x2a).bytes(Buffer.from(new Float32Array([2]).buffer)))),
    ),
    'negative int_val': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(3), shape2x1(t), t.uint32(0x3a).fork().int32(-5).int32(7).ldelim()))),
    'unpacked int_val': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(3), shape2x1(t), t.uint32(0x38).int32(4)))),
    'negative dim': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), t.uint32(0x12).fork().uint32(0x12).fork().uint32(0x08).int64(-1).ldelim().ldelim()))),
    'dim with a name': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), t.uint32(0x12).fork().uint32(0x12).fork().uint32(0x08).int64(1).uint32(0x12).string('batch').ldelim().ldelim()))),
    'unknown rank': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), t.uint32(0x12).fork().uint32(0x18).bool(true).ldelim()))),
    'non-minimal varints': Buffer.from('121b0a017812160880001206120408828000220800004040000080bf', 'hex'),
    'two tensor_content fields': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0x22).bytes(Buffer.alloc(8, 1)), t.uint32(0x22).bytes(Buffer.alloc(8, 2))))),
    'tensor_content then float_val': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0x22).bytes(Buffer.alloc(8, 1)), t.uint32(0x2a).bytes(Buffer.alloc(8, 2))))),
    'empty tensor_content': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0x22).bytes(Buffer.alloc(0)), t.uint32(0x2a).bytes(Buffer.alloc(4, 3))))),
    'dtype twice': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), t.uint32(0x08).int32(3), shape2x1(t)))),
    'dtype as a 10-byte varint': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(-1), shape2x1(t)))),
    'unknown tensor field': handWritten((w) => input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t), t.uint32(0xf0).uint32(5)))),
    'unknown request field': handWritten((w) => (input(w, 'x', (t) => (t.uint32(0x08).int32(1), shape2x1(t))), w.uint32(0x32).bytes(Buffer.from('id')))),
    'entry without value': handWritten((w) => w.uint32(0x12).fork().uint32(0x0a).string('x').ldelim()),
    'entry without key': handWritten((w) => w.uint32(0x12).fork().uint32(0x12).fork().uint32(0x08).int32(1).ldelim().ldelim()),
    'value before key': handWritten((w) => w.uint32(0x12).fork().uint32(0x12).fork().uint32(0x08).int32(1).ldelim().uint32(0x0a).string('x').ldelim()),
    '__proto__ alias': handWritten((w) => input(w, '__proto__', (t) => (t.uint32(0x08).int32(1), shape2x1(t)))),
    'same alias twice': handWritten((w) => (input(w, 'x', (t) => t.uint32(0x08).int32(1)), input(w, 'x', (t) => (t.uint32(0x08).int32(3), shape2x1(t))))),
    'model_spec twice': handWritten((w) => (w.uint32(0x0a).fork().uint32(0x0a).string('a').ldelim(), w.uint32(0x0a).fork().uint32(0x1a).string('sig').ldelim())),
    'version and version_label': handWritten((w) => w.uint32(0x0a).fork().uint32(0x0a).string('a').uint32(0x12).fork().uint32(0x08).int64(3).ldelim().uint32(0x22).string('l').ldelim()),
    'version 2^53 + 1': handWritten((w) => w.uint32(0x0a).fork().uint32(0x0a).string('a').uint32(0x12).fork().uint32(0x08).int64('9007199254740993').ldelim().ldelim()),
    'invalid UTF-8 name': handWritten((w) => w.uint32(0x0a).fork().uint32(0x0a).bytes(Buffer.from([0x61, 0xff])).ldelim()),
    'group wire type': Buffer.from([0x0b, 0x0c]),
    'empty request': Buffer.alloc(0),
  };
  for (const [what, buf] of Object.entries(cases)) sameAsProtobufjs(buf, what);
});

const SPEC = { name: 'm', version: 3, signatureName: 'serving_default' };

function randomOutput(r: () => number): Tensor {
  const kinds: [Tensor['dtype'], (n: number) => Tensor['data']][] = [
    ['DT_FLOAT', (n) => new Float32Array(n).map(() => r() - 0.5)],
    ['DT_DOUBLE', (n) => new Float64Array(n).map(() => r() * 1e9)],
    ['DT_COMPLEX64', (n) => new Float32Array(2 * n).map(() => r())],
    ['DT_INT32', (n) => new Int32Array(n).map(() => Math.floor((r() - 0.5) * 1e6))],
    ['DT_INT64', (n) => new BigInt64Array(n).map(() => BigInt(Math.floor((r() - 0.5) * 1e12)))],
    ['DT_BOOL', (n) => new Uint8Array(n).map(() => (r() < 0.5 ? 1 : 0))],
    ['DT_STRING', (n) => Array.from({ length: n }, () => Buffer.from(String(r())))],
  ];
  const [dtype, make] = kinds[Math.floor(r() * kinds.length)]!;
  const shape = Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.1 ? 0 : r() < 0.1 ? 130 + Math.floor(r() * 20000) : 1 + Math.floor(r() * 3)));
  const n = shape.reduce((a, d) => a * d, 1);
  return { dtype, shape, data: make(n > 5000 ? 0 : n) };
}

test('hand-encoded PredictResponses are the bytes of the general encoder', () => {
  const r = rng(3);
  for (let i = 0; i < 1500; i++) {
    const outputs: Record<string, Tensor> = {};
    const count = Math.floor(r() * 3) + (i === 0 ? 1 : 0);
    for (let k = 0; k < count; k++) outputs[['y', 'dense_1', 'ü', '', 'a'.repeat(200)][Math.floor(r() * 5)]!] = randomOutput(r);
    for (const asTensorContent of [false, true]) {
      const reply = { outputs, modelSpec: SPEC };
      assert.deepEqual(encodePredictResponse(reply, asTensorContent), encodePredictResponseGeneral(reply, asTensorContent), `reply ${i} (${asTensorContent})`);
    }
  }
});
