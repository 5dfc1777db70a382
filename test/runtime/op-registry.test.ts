/**
 * The runtime's op tables against the installed tfjs-converter: TFJS_OPS must be exactly
 * the ops its OperationMapper registers (every op_list file except `ragged` and `tfdf`,
 * which 4.22.0 ships but does not register), and every custom op must be executable.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isExecutableOp } from '../../src/runtime/model-runtime.js';
import { CUSTOM_TF_OPS, TFJS_OPS } from '../../src/runtime/op-registry.js';
import { TFS_OPS } from '../../src/runtime/freeze/index.js';
import { repoRoot } from '../helpers/paths.js';

test('TFJS_OPS is the op set tfjs-converter maps', async () => {
  const require = createRequire(join(repoRoot, 'package.json'));
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-converter/package.json'));
  const listDir = join(pkgDir, 'dist', 'operations', 'op_list');
  const names = new Set<string>();
  for (const f of readdirSync(listDir).filter((n) => n.endsWith('.js') && !['ragged.js', 'tfdf.js'].includes(n))) {
    const mod = (await import(pathToFileURL(join(listDir, f)).href)) as { json: { tfOpName: string }[] };
    for (const op of mod.json) names.add(op.tfOpName);
  }
  assert.deepEqual([...TFJS_OPS].sort(), [...names].sort());
});

test('custom ops and tfs ops are executable; unknown ops are not', () => {
  for (const op of [...CUSTOM_TF_OPS, ...Object.values(TFS_OPS)]) assert.ok(isExecutableOp(op), op);
  assert.ok(isExecutableOp('MatMul'));
  assert.ok(isExecutableOp('StringLower'), 'a kernels/ family op');
  assert.ok(isExecutableOp('DecodeJpeg'), 'kernels/image-decode.ts');
  assert.ok(!isExecutableOp('DecodeGif'));
  assert.ok(!isExecutableOp('StatefulPartitionedCall'), 'calls never reach tfjs: the freezer inlines them');
});
