#!/usr/bin/env node
// A lean reference gRPC server on tfs's embedded runtime, for bench/serving.mjs: what
// PredictionService/Predict costs when the request path is cut to what it must do.
//   - grpc-js Server with default options and pass-through (Buffer) serializers;
//   - PredictRequest decoded by hand (model_spec.name / signature_name, each input's dtype,
//     shape and tensor_content or float_val) into Float32Arrays;
//   - the signature run with the project's loader and runtime from dist/
//     (loadSavedModelServable(...).run), backend `auto` as `tfs serve`;
//   - PredictResponse encoded by hand (float outputs as packed float_val, as TF's AsProtoField,
//     plus model_spec name, version and signature_name).
// No limits, no metrics, no deadline or cancellation handling, no error texts beyond a plain
// INVALID_ARGUMENT/NOT_FOUND: it is a yardstick, not a server.
//
//   node bench/lean-grpc.mjs --models half_plus_two,my_model[,/path/to/model_dir]
// Listens on 127.0.0.1, port 0, and prints the port as the first line of stdout.
// A model given by name is fixtures/models/<name> (perf_mlp: ../shared/fixtures/zoo/perf_mlp);
// a path is a model base dir (name = its basename); the highest numeric version is served.
import { readdirSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, process.env.TFS_DIST ?? 'dist');
const args = process.argv.slice(2);
const modelsArg = args.includes('--models') ? args[args.indexOf('--models') + 1] : 'half_plus_two,my_model';
const PREDICT_PATH = '/tensorflow.serving.PredictionService/Predict';
const DT_FLOAT = 1;

const grpc = await import('@grpc/grpc-js');
const { loadSavedModelServable } = await import(pathToFileURL(join(dist, 'src/servables/saved-model-servable.js')).href);

function modelDir(spec) {
  if (spec.includes('/')) return resolve(spec);
  if (spec === 'perf_mlp') return join(resolve(process.env.TFS_SHARED_DIR ?? join(root, '..', 'shared')), 'fixtures', 'zoo', 'perf_mlp');
  return join(root, 'fixtures', 'models', spec);
}

function latestVersion(dir) {
  const versions = readdirSync(dir).filter((d) => /^\d+$/.test(d) && existsSync(join(dir, d, 'saved_model.pb')));
  if (versions.length === 0) throw new Error(`no SavedModel version under ${dir}`);
  return versions.reduce((a, b) => (Number(b) > Number(a) ? b : a));
}

// ---- protobuf by hand ----

/** Reads varints and length-delimited fields from one Buffer. */
class Reader {
  constructor(buf, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  varint() {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  }
  /** Skips a field of wire type `wt` (0 varint, 1 fixed64, 2 bytes, 5 fixed32). */
  skip(wt) {
    if (wt === 0) this.varint();
    else if (wt === 1) this.pos += 8;
    else if (wt === 2) this.pos += this.varint();
    else if (wt === 5) this.pos += 4;
    else throw new Error(`wire type ${wt}`);
  }
}

function readString(r) {
  const n = r.varint();
  const s = r.buf.toString('utf8', r.pos, r.pos + n);
  r.pos += n;
  return s;
}

function readShape(r, end) {
  const shape = [];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x12) {
      const dimEnd = r.varint() + r.pos;
      let size = 0;
      while (r.pos < dimEnd) {
        const t = r.varint();
        if (t === 0x08) size = r.varint();
        else r.skip(t & 7);
      }
      shape.push(size);
    } else r.skip(tag & 7);
  }
  return shape;
}

/** A float TensorProto → { shape, data: Float32Array } (tensor_content copied aligned, or float_val). */
function readTensor(r, end) {
  let dtype = 0;
  let shape = [];
  let data;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 0x08) dtype = r.varint();
    else if (tag === 0x12) {
      const e = r.varint() + r.pos;
      shape = readShape(r, e);
    } else if (tag === 0x22) {
      const n = r.varint();
      data = new Float32Array(n >> 2);
      new Uint8Array(data.buffer).set(r.buf.subarray(r.pos, r.pos + n));
      r.pos += n;
    } else if (tag === 0x2a) {
      const n = r.varint();
      data = new Float32Array(n >> 2);
      new Uint8Array(data.buffer).set(r.buf.subarray(r.pos, r.pos + n));
      r.pos += n;
    } else r.skip(tag & 7);
  }
  if (dtype !== DT_FLOAT) throw new Error('lean server: float inputs only');
  return { dtype: 'DT_FLOAT', shape, data: data ?? new Float32Array(0) };
}

function decodePredictRequest(buf) {
  const r = new Reader(buf);
  let name = '';
  let signature = 'serving_default';
  const inputs = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) {
      const end = r.varint() + r.pos;
      while (r.pos < end) {
        const t = r.varint();
        if (t === 0x0a) name = readString(r);
        else if (t === 0x1a) signature = readString(r) || signature;
        else r.skip(t & 7);
      }
    } else if (tag === 0x12) {
      const end = r.varint() + r.pos;
      let key = '';
      let tensor;
      while (r.pos < end) {
        const t = r.varint();
        if (t === 0x0a) key = readString(r);
        else if (t === 0x12) {
          const e = r.varint() + r.pos;
          tensor = readTensor(r, e);
        } else r.skip(t & 7);
      }
      inputs[key] = tensor;
    } else r.skip(tag & 7);
  }
  return { name, signature, inputs };
}

/** Bytes of a varint. */
function varintLen(v) {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes into a preallocated Buffer. */
class Writer {
  constructor(size) {
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
  }
  varint(v) {
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bytes(b) {
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** TensorProto of a float output: dtype, tensor_shape, packed float_val. */
function tensorBytes(t) {
  const dims = t.shape.map((s) => {
    const body = 1 + varintLen(s);
    return { s, body };
  });
  const shapeLen = dims.reduce((a, d) => a + 1 + varintLen(d.body) + d.body, 0);
  const valBytes = t.data.length * 4;
  const size = 2 + 1 + varintLen(shapeLen) + shapeLen + (valBytes ? 1 + varintLen(valBytes) + valBytes : 0);
  const w = new Writer(size);
  w.varint(0x08);
  w.varint(DT_FLOAT);
  w.varint(0x12);
  w.varint(shapeLen);
  for (const d of dims) {
    w.varint(0x12);
    w.varint(d.body);
    w.varint(0x08);
    w.varint(d.s);
  }
  if (valBytes) {
    w.varint(0x2a);
    w.varint(valBytes);
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    w.buf.set(new Uint8Array(f.buffer, f.byteOffset, valBytes), w.pos);
    w.pos += valBytes;
  }
  return w.buf;
}

/** ModelSpec { name, version { value }, signature_name }, encoded once per model and signature. */
function modelSpecBytes(name, version, signature) {
  const n = Buffer.from(name);
  const s = Buffer.from(signature);
  const ver = Buffer.from([0x08, ...varintBytes(version)]);
  return Buffer.concat([Buffer.from([0x0a, ...varintBytes(n.length)]), n, Buffer.from([0x12, ver.length]), ver, Buffer.from([0x1a, ...varintBytes(s.length)]), s]);
}

function varintBytes(v) {
  const w = new Writer(10);
  w.varint(v);
  return [...w.buf.subarray(0, w.pos)];
}

function encodePredictResponse(outputs, spec) {
  const parts = [];
  for (const alias of Object.keys(outputs)) {
    const key = Buffer.from(alias);
    const value = tensorBytes(outputs[alias]);
    const entryLen = 1 + varintLen(key.length) + key.length + 1 + varintLen(value.length) + value.length;
    const head = new Writer(1 + varintLen(entryLen) + 1 + varintLen(key.length));
    head.varint(0x0a);
    head.varint(entryLen);
    head.varint(0x0a);
    head.varint(key.length);
    const mid = new Writer(1 + varintLen(value.length));
    mid.varint(0x12);
    mid.varint(value.length);
    parts.push(head.buf, key, mid.buf, value);
  }
  const ms = new Writer(1 + varintLen(spec.length));
  ms.varint(0x12);
  ms.varint(spec.length);
  parts.push(ms.buf, spec);
  return Buffer.concat(parts);
}

// ---- server ----

const models = new Map();
for (const spec of modelsArg.split(',').filter(Boolean)) {
  const dir = modelDir(spec);
  const name = basename(dir);
  const version = latestVersion(dir);
  const servable = await loadSavedModelServable(name, Number(version), join(dir, version), { backend: 'auto' });
  models.set(name, { servable, version: Number(version), specs: new Map() });
}

async function predict(buf) {
  const req = decodePredictRequest(buf);
  const m = models.get(req.name);
  if (!m) throw Object.assign(new Error(`Servable not found for request: Latest(${req.name})`), { code: grpc.status.NOT_FOUND });
  const outputs = await m.servable.run(req.signature, req.inputs);
  let spec = m.specs.get(req.signature);
  if (!spec) m.specs.set(req.signature, (spec = modelSpecBytes(req.name, m.version, req.signature)));
  return encodePredictResponse(outputs, spec);
}

const id = (b) => b;
const server = new grpc.Server();
const service = {
  Predict: { path: PREDICT_PATH, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
};
server.addService(service, {
  Predict: (call, cb) => {
    predict(call.request).then(
      (res) => cb(null, res),
      (err) => cb({ code: err.code ?? grpc.status.INVALID_ARGUMENT, details: err.message }),
    );
  },
});
const port = await new Promise((ok, fail) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
);
process.stdout.write(`${port}\n`);
