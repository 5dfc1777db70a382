#!/usr/bin/env node
// npm run bench:jpeg — tfs's JPEG decoder (src/runtime/kernels/jpeg/) against TensorFlow's
// tf.io.decode_jpeg (libjpeg-turbo) on the same bytes, same run.
//
// The images are the largest colour and grey JPEGs of fixtures/jpeg/oracle.json (baseline and
// progressive), plus, with --python, a 640×480 photo-like JPEG that Python TensorFlow encodes
// (smooth content at quality 90). Each is decoded with the default (fast) IDCT, fancy
// upsampling, 3 channels; ms per decode is the median of --rounds rounds of --calls calls.
// With --python PY (a Python with tensorflow) TF's time per decode on the same bytes is printed
// beside ours, with the ratio ours/TF.
//
//   node bench/jpeg.mjs [--python /work/venv-tf/bin/python] [--rounds 5] [--calls 20]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { option } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const python = option(args, 'python', '');
const rounds = Math.max(1, Math.min(20, Number(option(args, 'rounds', '5'))));
const calls = Math.max(1, Math.min(200, Number(option(args, 'calls', '20'))));
const { decodeJpegPixels } = await import(join(root, 'dist/src/runtime/kernels/jpeg/decode.js'));

/** name → JPEG bytes: the largest fixture JPEGs by kind, and TF's 640×480 one with --python. */
function images() {
  const oracle = JSON.parse(readFileSync(join(root, 'fixtures', 'jpeg', 'oracle.json'), 'utf8'));
  const usable = oracle.cases.filter((c) => !c.refuse);
  const largest = (pred) => usable.filter(pred).sort((a, b) => b.shape[0] * b.shape[1] - a.shape[0] * a.shape[1])[0];
  const picks = [
    largest((c) => c.components === 3 && !c.name.includes('prog')),
    largest((c) => c.components === 3 && c.name.includes('prog')),
    largest((c) => c.components === 1),
  ].filter(Boolean);
  const out = picks.map((c) => [`${c.name} (${c.shape[1]}x${c.shape[0]})`, Buffer.from(c.jpeg, 'base64')]);
  if (python) {
    const r = spawnSync(python, ['-c', ENCODE], { encoding: 'buffer', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`python could not encode the 640x480 JPEG: ${r.stderr.toString().slice(-300)}`);
    out.push(['tf_smooth_640x480_q90', r.stdout]);
  }
  return out;
}

const ENCODE = `
import sys, numpy as np, tensorflow as tf
x = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
x = tf.cast(tf.image.resize(tf.image.resize(x, [60, 80]), [480, 640]), tf.uint8)
sys.stdout.buffer.write(tf.io.encode_jpeg(x, quality=90).numpy())
`;

const TIME_TF = `
import sys, time, base64, json, tensorflow as tf
rounds, calls = int(sys.argv[1]), int(sys.argv[2])
out = []
for line in sys.stdin:
    b = tf.constant(base64.b64decode(line.strip()))
    tf.io.decode_jpeg(b, channels=3)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            tf.io.decode_jpeg(b, channels=3)
        times.append((time.perf_counter() - t) / calls * 1000)
    out.append(sorted(times)[len(times) // 2])
print(json.dumps(out))
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeOurs(bytes) {
  const o = { channels: 3, fast: true, fancy: true };
  for (let i = 0; i < 3; i++) decodeJpegPixels(bytes, o);
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) decodeJpegPixels(bytes, o);
    times.push((performance.now() - t) / calls);
  }
  return median(times);
}

const list = images();
const ours = list.map(([, b]) => timeOurs(new Uint8Array(b)));
let tf;
if (python) {
  const input = list.map(([, b]) => Buffer.from(b).toString('base64')).join('\n') + '\n';
  const r = spawnSync(python, ['-c', TIME_TF, String(rounds), String(calls)], { input, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.status !== 0) throw new Error(`python timing failed: ${r.stderr.slice(-300)}`);
  tf = JSON.parse(r.stdout.trim().split('\n').pop());
}
console.log(`bench:jpeg  node ${process.version}  ${rounds} rounds x ${calls} decodes, median ms per decode (fast IDCT, fancy upsampling, 3 channels)`);
list.forEach(([name], i) => {
  const t = tf ? ` | TF ${tf[i].toFixed(3)} ms | ours/TF ${(ours[i] / tf[i]).toFixed(2)}x` : '';
  console.log(`${name.padEnd(40)} ours ${ours[i].toFixed(3)} ms${t}`);
});
