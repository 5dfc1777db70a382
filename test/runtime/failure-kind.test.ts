/**
 * Whose fault a failed run is (src/runtime/failure-kind.ts, FINDINGS R4): runtime crashes
 * are INTERNAL with a short text and a logged stack; tfjs's shape errors become
 * TensorFlow's INVALID_ARGUMENT texts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Code, Errors } from '../../src/errors.js';
import { ensureBackendReady, onBackendSync } from '../../src/runtime/backend.js';
import { failureKind, runFailure } from '../../src/runtime/failure-kind.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

/** A logger that records error lines. */
function recorder(): { logger: Logger; lines: unknown[][] } {
  const lines: unknown[][] = [];
  const logger = { ...silentLogger, error: (...a: unknown[]) => lines.push(a) } as unknown as Logger;
  return { logger, lines };
}

class RuntimeError extends Error {
  override name = 'RuntimeError';
}

test('runtime failures are INTERNAL with a short message, and the log gets the error', () => {
  const crashes: unknown[] = [
    new RuntimeError('memory access out of bounds'),
    new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.'),
    new TypeError("Cannot read properties of undefined (reading 'backend')"),
    new RangeError('Maximum call stack size exceeded'),
    new Error('Cannot enlarge memory arrays to size 2147483648 bytes (OOM).'),
    'Aborted(native code called abort())',
  ];
  for (const c of crashes) {
    assert.equal(failureKind(c), 'runtime', String(c));
    const { logger, lines } = recorder();
    const e = runFailure(c, 'input x has shape [2]', logger, 'm');
    assert.equal(e.code, Code.INTERNAL, String(c));
    assert.equal(e.id, 'TFS_ERR_RUNTIME_CRASH');
    assert.match(e.message, /^the model runtime failed while running the model: /);
    assert.ok(e.message.length < 300);
    assert.equal(lines.length, 1);
    assert.equal((lines[0]![0] as { err: unknown }).err, c);
  }
  assert.equal(failureKind(Errors.tableNotInitialized()), 'input');
  assert.equal(runFailure(Errors.tableNotInitialized(), undefined, silentLogger, 'm').id, 'TFS_ERR_TABLE_NOT_INITIALIZED');
});

/** What tfjs throws for `fn` on the wasm backend, mapped. */
async function mapped(fn: () => unknown): Promise<{ code: number; message: string }> {
  await ensureBackendReady('wasm');
  try {
    onBackendSync('wasm', fn);
  } catch (e) {
    assert.equal(failureKind(e), 'input', String(e));
    const t = runFailure(e, undefined, silentLogger, 'm');
    return { code: t.code, message: t.message };
  }
  throw new Error('tfjs did not throw');
}

test("tfjs's shape errors become TensorFlow's texts (INVALID_ARGUMENT)", async () => {
  await ensureBackendReady('wasm');
  const a = tf.zeros([1, 3]);
  const b = tf.zeros([10, 64]);
  assert.deepEqual(await mapped(() => tf.matMul(a, b)), { code: 3, message: 'Matrix size-incompatible: In[0]: [1,3], In[1]: [10,64]' });
  assert.deepEqual(await mapped(() => tf.add(tf.zeros([2, 3]), tf.zeros([4, 3]))), { code: 3, message: 'Incompatible shapes: [2,3] vs. [4,3]' });
  assert.deepEqual(await mapped(() => tf.matMul(tf.zeros([2, 1, 3]), tf.zeros([2, 10, 4]))), {
    code: 3,
    message: 'In[0] mismatch In[1] shape: 3 vs. 10: [2,1,3] [2,10,4] 0 0',
  });
  assert.deepEqual(await mapped(() => tf.reshape(tf.zeros([6]), [4, 2])), {
    code: 3,
    message: 'Input to reshape is a tensor with 6 values, but the requested shape has 8',
  });
  assert.deepEqual(await mapped(() => tf.reshape(tf.zeros([6]), [-1, 4])), {
    code: 3,
    message: 'Input to reshape is a tensor with 6 values, but the requested shape requires a multiple of 4',
  });
  // Other kernel errors keep tfjs's text, still the input's fault.
  const other = runFailure(new Error('Error in concat: ranks differ'), 'input x has shape [2]', silentLogger, 'm');
  assert.equal(other.code, Code.INVALID_ARGUMENT);
  assert.equal(other.hint, 'input x has shape [2]');
  const mm = runFailure(new Error('Error in matMul: inner shapes (9) and (10) of Tensors with shapes 2,9 and 10,4 and transposeA=false and transposeB=false must match.'), 'input x has shape [2,9]', silentLogger, 'm');
  assert.equal(mm.message, 'Matrix size-incompatible: In[0]: [2,9], In[1]: [10,4]');
  assert.equal(mm.hint, 'input x has shape [2,9]');
});
