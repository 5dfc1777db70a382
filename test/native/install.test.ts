/**
 * `tfs native install`'s search for TensorFlow and its compiler command line, on fake
 * TensorFlow layouts (no TensorFlow or compiler needed): a libtensorflow folder, and a
 * Python (a shell script answering the probe) whose tensorflow package lacks pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfsError } from '../../src/errors.js';
import { compileArgs, findTensorflow, nodeApiInclude } from '../../src/native/install.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-native-install-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const touch = (file: string): void => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, '');
};

/** A "python" that answers the probe with `answer` whatever it is asked. */
function fakePython(dir: string, answer: object): string {
  const file = join(dir, 'python');
  writeFileSync(file, `#!/bin/sh\necho '${JSON.stringify(answer)}'\n`);
  chmodSync(file, 0o755);
  return file;
}

const failsWith = (fn: () => unknown, text: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof TfsError && e.id === 'TFS_ERR_NATIVE_INSTALL_FAILED' && text.test(e.message), String(text));

test('a libtensorflow folder: headers and library found, the addon linked with an rpath to it', (t) => {
  const root = tempDir(t);
  failsWith(() => findTensorflow({ libtensorflow: root }), /has no include\/tensorflow\/c\/c_api\.h/);
  touch(join(root, 'include', 'tensorflow', 'c', 'c_api.h'));
  failsWith(() => findTensorflow({ libtensorflow: root }), /lib has no libtensorflow\.so\.2/);
  touch(join(root, 'lib', 'libtensorflow.so.2'));
  const tf = findTensorflow({ libtensorflow: root });
  assert.deepEqual(tf.libs, ['-l:libtensorflow.so.2']);
  assert.equal(tf.libraryDir, join(root, 'lib'));
  // $LIBTENSORFLOW_DIR is the default when no --python is given.
  assert.equal(findTensorflow({ env: { LIBTENSORFLOW_DIR: root } }).includeDir, join(root, 'include'));

  const args = compileArgs(tf, '/tmp/out.node');
  assert.ok(args.includes(`-Wl,-rpath,${join(root, 'lib')}`));
  assert.ok(args.includes(`-I${join(root, 'include')}`));
  assert.ok(args.includes(`-I${nodeApiInclude()}`));
  assert.ok(existsSync(join(nodeApiInclude(), 'node_api.h')), 'node-api-headers provides node_api.h');
  const source = args.find((a) => a.endsWith('tfs_native.cc'))!;
  assert.ok(existsSync(source), `${source} ships with tfs`);
  assert.deepEqual(args.slice(args.indexOf('-o'), args.indexOf('-o') + 2), ['-o', '/tmp/out.node']);
});

test("a Python's tensorflow wheel: what is missing is named", (t) => {
  const dir = tempDir(t);
  failsWith(() => findTensorflow({ python: join(dir, 'no-such-python') }), /could not run .*no-such-python/);
  failsWith(() => findTensorflow({ python: fakePython(dir, { dir: '', dist: '' }) }), /has no tensorflow package/);
  const pkg = join(dir, 'site-packages', 'tensorflow');
  mkdirSync(pkg, { recursive: true });
  const py = fakePython(dir, { dir: pkg, dist: 'tensorflow-cpu 2.21.0' });
  failsWith(() => findTensorflow({ python: py }), /has no C API headers/);
  touch(join(pkg, 'include', 'tensorflow', 'c', 'c_api.h'));
  touch(join(pkg, 'libtensorflow_framework.so.2'));
  failsWith(() => findTensorflow({ python: py }), /lacks libtensorflow_cc\.so\.2$/);
  touch(join(pkg, 'libtensorflow_cc.so.2'));
  const tf = findTensorflow({ python: py });
  assert.equal(tf.version, '2.21.0');
  assert.deepEqual(tf.libs, ['-l:libtensorflow_cc.so.2', '-l:libtensorflow_framework.so.2']);
  assert.match(tf.source, /tensorflow-cpu 2\.21\.0/);
});
