/**
 * The hand-serialised ConfigProto of native sessions, read back with a protobuf wire reader
 * written here (independent of src/native/session-config.ts), and the addon loader's answer
 * when no addon is installed. Neither needs TensorFlow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionConfigBytes, sessionThreads } from '../../src/native/session-config.js';
import { loadNativeAddon, nativeDir, tryLoadNativeAddon } from '../../src/native/addon.js';
import { Code, TfsError } from '../../src/errors.js';
import { parseServeFlags, unsupportedFlagNotes } from '../../src/server/flags.js';
import { resolveRuntime } from '../../src/server/loaders.js';
import { checkStartupFlags, StartupError } from '../../src/server/server.js';

/** field number -> raw values (bigint for varints, Uint8Array for length-delimited, number for fixed64 doubles). */
function readFields(b: Uint8Array): Map<number, (bigint | number | Uint8Array)[]> {
  const out = new Map<number, (bigint | number | Uint8Array)[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    let value: bigint | number | Uint8Array;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = new DataView(b.buffer, b.byteOffset + i, 8).getFloat64(0, true);
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        value = b.subarray(i, i + len);
        i += len;
        break;
      }
      default:
        throw new Error(`wire type ${key & 7}`);
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

test('ConfigProto: soft placement always; threads as tensorflow_model_server picks them; GPU memory fraction', () => {
  const bare = readFields(sessionConfigBytes());
  assert.deepEqual([...bare.keys()], [7]);
  assert.equal(bare.get(7)![0], 1n, 'allow_soft_placement');

  const all = readFields(sessionConfigBytes({ intraOpParallelism: 3, interOpParallelism: 300, perProcessGpuMemoryFraction: 0.25, allowGrowth: true }));
  assert.equal(all.get(2)![0], 3n, 'intra_op_parallelism_threads');
  assert.equal(all.get(5)![0], 300n, 'inter_op_parallelism_threads (a two-byte varint)');
  const gpu = readFields(all.get(6)![0] as Uint8Array);
  assert.equal(gpu.get(1)![0], 0.25, 'per_process_gpu_memory_fraction');
  assert.equal(gpu.get(4)![0], 1n, 'allow_growth');
  assert.equal(all.get(7)![0], 1n);

  // --tensorflow_session_parallelism sets both unless intra/inter are given (server.cc).
  assert.deepEqual(sessionThreads({ sessionParallelism: 2 }), { intra: 2, inter: 2 });
  assert.deepEqual(sessionThreads({ sessionParallelism: 2, intraOpParallelism: 4 }), { intra: 4, inter: 0 });
  const both = readFields(sessionConfigBytes({ sessionParallelism: 2 }));
  assert.deepEqual([both.get(2)![0], both.get(5)![0]], [2n, 2n]);
});

test('ConfigProto: threadSpinning false sets experimental.disable_thread_spinning; true or unset leaves TensorFlow spinning', () => {
  const off = readFields(sessionConfigBytes({ threadSpinning: false }));
  const experimental = readFields(off.get(16)![0] as Uint8Array);
  assert.deepEqual([...experimental.keys()], [9]);
  assert.equal(experimental.get(9)![0], 1n, 'disable_thread_spinning');
  assert.equal(off.get(7)![0], 1n, 'soft placement stays on');
  assert.equal(readFields(sessionConfigBytes({ threadSpinning: true })).has(16), false);
  assert.equal(readFields(sessionConfigBytes({})).has(16), false);
  // The flag: TensorFlow's spinning unless told otherwise.
  assert.equal(parseServeFlags([]).values['tensorflow_thread_spinning'], true);
  assert.equal(parseServeFlags(['--tensorflow_thread_spinning=false']).values['tensorflow_thread_spinning'], false);
});

test('no addon: a clear error saying how to install it; --runtime auto falls back to embedded with one log line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-native-none-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(
    () => loadNativeAddon(dir),
    (e: unknown) =>
      e instanceof TfsError &&
      e.code === Code.FAILED_PRECONDITION &&
      e.message.includes(dir) &&
      e.message.includes('tfs native install') &&
      e.message.includes('--runtime embedded'),
  );
  const r = tryLoadNativeAddon(dir);
  assert.ok('reason' in r && r.reason.id === 'TFS_ERR_NATIVE_NOT_INSTALLED');

  const logs: string[] = [];
  const logger = { info: (_o: unknown, m: string) => logs.push(m) } as unknown as Parameters<typeof resolveRuntime>[1];
  const flags = (runtime: string): ReturnType<typeof parseServeFlags>['values'] => parseServeFlags([`--runtime=${runtime}`], {}).values;
  assert.equal(resolveRuntime(flags('auto'), logger, dir), 'embedded');
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^--runtime auto: using the embedded runtime, TensorFlow's is not available: .*tfs native install/);
  assert.equal(resolveRuntime(flags('embedded'), logger, dir), 'embedded');
  assert.throws(() => resolveRuntime(flags('tensorflow'), logger, dir), /there is none in/);
  assert.equal(logs.length, 1);
});

test('--runtime takes embedded, tensorflow or auto; TFS_NATIVE_DIR moves the addon folder', () => {
  assert.equal(parseServeFlags([], {}).values['runtime'], 'embedded');
  assert.throws(
    () => checkStartupFlags(parseServeFlags(['--model_base_path=/m', '--runtime=tf'], {}).values),
    (e: unknown) => e instanceof StartupError && e.message === '--runtime must be one of embedded, tensorflow, auto (got "tf").',
  );
  // The TensorFlow session flags are warned about on the embedded runtime only.
  const session = ['--tensorflow_inter_op_parallelism=4', '--per_process_gpu_memory_fraction=0.5'];
  assert.equal(unsupportedFlagNotes(parseServeFlags(session, {})).warnings.length, 2);
  assert.deepEqual(unsupportedFlagNotes(parseServeFlags(['--runtime=tensorflow', ...session], {})).warnings, []);
  assert.equal(nativeDir({ TFS_NATIVE_DIR: '/opt/tfs-native' }), '/opt/tfs-native');
  assert.match(nativeDir({}), /\.cache\/tfs\/native$/);
});
