// The one error table (src/errors.ts): every error is an entry with a stable id, and the
// transports derive their statuses from it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  Code,
  Errors,
  StartupError,
  TfsError,
  abortError,
  asTfsError,
  codeName,
  grpcDetailsOf,
  grpcStatusCodeOf,
  httpStatusOf,
  kernelFailure,
} from '../src/errors.js';

// Compiled to dist/test/errors.test.js: the repository root is two levels up.
const root = fileURLToPath(new URL('../../', import.meta.url));

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no TfsError is constructed outside src/errors.ts (src/ and commands/)', () => {
  assert.ok(existsSync(join(root, 'src', 'errors.ts')), `repository root not found at ${root}`);
  const files = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'commands'))];
  assert.ok(files.length > 50, `only ${files.length} source files found`);
  const offenders: string[] = [];
  for (const file of files) {
    const rel = relative(root, file);
    if (rel === join('src', 'errors.ts')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bnew\s+TfsError\s*\(/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, [], 'add an entry to Errors in src/errors.ts and throw Errors.<entry>(...) instead');
});

test('every entry has a unique TFS_ERR_* id and a canonical code', () => {
  const entries = Object.entries(Errors);
  assert.ok(entries.length > 150, `${entries.length} entries`);
  const seen = new Map<string, string>();
  const codes = new Set<number>(Object.values(Code));
  for (const [key, e] of entries) {
    assert.match(e.id, /^TFS_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/, `${key}: id ${e.id}`);
    assert.ok(!seen.has(e.id), `${key} and ${seen.get(e.id)} share the id ${e.id}`);
    seen.set(e.id, key);
    assert.ok(codes.has(e.code) && e.code !== Code.OK, `${key}: code ${e.code}`);
    assert.equal(typeof e.text, 'function', key);
  }
});

test('an entry builds a TfsError with its id, code and text (upstream text byte for byte)', () => {
  const e = Errors.servableNotFoundLatest('half');
  assert.ok(e instanceof TfsError);
  assert.equal(e.id, 'TFS_ERR_SERVABLE_NOT_FOUND_LATEST');
  assert.equal(e.id, Errors.servableNotFoundLatest.id);
  assert.equal(e.code, Code.NOT_FOUND);
  assert.equal(e.message, 'Servable not found for request: Latest(half)');
  assert.equal(Errors.servableNotFoundLatest.text('half'), e.message);
  assert.equal(e.httpStatus, 404);
  assert.equal(e.grpcStatus, GrpcStatus.NOT_FOUND);
  // Hints and prefixes keep the entry's id (and code).
  const hinted = e.withHint('models: a, b');
  assert.equal(hinted.id, e.id);
  assert.equal(hinted.hint, 'models: a, b');
  assert.equal(hinted.message, e.message);
  const prefixed = Errors.tableNotInitialized().withPrefix('Model m: ');
  assert.equal(prefixed.id, 'TFS_ERR_TABLE_NOT_INITIALIZED');
  assert.equal(prefixed.message, 'Model m: Table not initialized.');
  // Start-up errors are table entries too, printed by `serve` as upstream does.
  const s = new StartupError(Errors.noModelBasePathOrConfig());
  assert.equal(s.id, 'TFS_ERR_NO_MODEL_BASE_PATH_OR_CONFIG');
  assert.equal(s.message, 'Both server_options.model_base_path and server_options.model_config_file are empty!');
  // A worker's error crosses the thread boundary with its id.
  const revived = TfsError.revive({ code: e.code, message: e.message, id: e.id });
  assert.deepEqual([revived.id, revived.code, revived.message], [e.id, e.code, e.message]);
});

// Upstream's ToHTTPStatusCode (tfserving-spec.md §1.9), written out independently of errors.ts.
const HTTP: Record<string, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

test('HTTP and gRPC statuses are derived for every code', () => {
  assert.deepEqual(Object.keys(HTTP).sort(), Object.keys(Code).sort());
  for (const [name, code] of Object.entries(Code)) {
    assert.equal(codeName(code), name);
    assert.equal(httpStatusOf(code), HTTP[name], name);
    // grpc-js's own enum, by name: the numbering must agree.
    assert.equal(grpcStatusCodeOf(code), GrpcStatus[name as keyof typeof GrpcStatus], name);
  }
  assert.equal(httpStatusOf(99), 500);
  assert.equal(grpcStatusCodeOf(99), GrpcStatus.UNKNOWN);
  for (const [key, e] of Object.entries(Errors)) {
    assert.ok(httpStatusOf(e.code) >= 400, key);
  }
  // The one entry with its own HTTP status: REST answers 413, gRPC keeps the code.
  const big = Errors.bodyTooLarge(10);
  assert.equal(big.httpStatus, 413);
  assert.equal(big.grpcStatus, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.equal(big.withHint('h').httpStatus, 413);
  // gRPC details are cut at 1024 bytes; REST messages never are.
  assert.equal(grpcDetailsOf('x'.repeat(2000)), `${'x'.repeat(1024)}...TRUNCATED`);
});

function aborted(reason?: unknown): AbortSignal {
  const ac = new AbortController();
  ac.abort(reason);
  return ac.signal;
}

test('abortError: a timeout is DEADLINE_EXCEEDED with TF\'s text, a client gone is CANCELLED', () => {
  const timedOut = ['Timed out waiting for notification', Code.DEADLINE_EXCEEDED, 'TFS_ERR_RUN_TIMED_OUT'];
  const view = (e: TfsError): unknown[] => [e.message, e.code, e.id];
  // REST's deadline (a TimeoutError DOMException) and the gRPC deadline answer alike.
  assert.deepEqual(view(abortError(aborted(new DOMException('expired', 'TimeoutError')))), timedOut);
  assert.deepEqual(view(abortError(aborted(Errors.deadlineExceeded()))), timedOut);
  assert.deepEqual(view(abortError(aborted(Errors.runTimedOut()))), timedOut);
  const cancelled = ['Cancelled', Code.CANCELLED, 'TFS_ERR_CANCELLED'];
  assert.deepEqual(view(abortError(aborted())), cancelled);
  assert.deepEqual(view(abortError(aborted(new Error('gone')))), cancelled);
  assert.deepEqual(view(abortError(aborted(Errors.cancelled()))), cancelled);
  // A deliberate answer (the server shutting down) is kept.
  assert.equal(abortError(aborted(Errors.serverShuttingDown())).id, 'TFS_ERR_SERVER_SHUTTING_DOWN');
});

test('our own failures are INTERNAL, never INVALID_ARGUMENT', () => {
  const e = asTfsError(new RangeError('boom'));
  assert.deepEqual([e.code, e.id, e.message], [Code.INTERNAL, 'TFS_ERR_INTERNAL', 'boom']);
  assert.equal(asTfsError('text').code, Code.INTERNAL);
  // A kernel's plain Error is the input's fault, as TF reports it; a TypeError is a bug.
  const k = kernelFailure(new Error('Incompatible shapes: [2] vs. [3]'), 'input x has shape [2]');
  assert.deepEqual([k.code, k.id, k.hint], [Code.INVALID_ARGUMENT, 'TFS_ERR_KERNEL', 'input x has shape [2]']);
  assert.equal(kernelFailure(new TypeError("Cannot read properties of undefined (reading 'shape')")).code, Code.INTERNAL);
  assert.equal(kernelFailure(new ReferenceError('x is not defined')).code, Code.INTERNAL);
  assert.equal(kernelFailure(42).code, Code.INTERNAL);
  assert.equal(kernelFailure(Errors.tableNotInitialized()).id, 'TFS_ERR_TABLE_NOT_INITIALIZED');
  // Entries documented as tfs's own failures carry INTERNAL.
  for (const key of [
    'internal',
    'runtimeResourcesMissing',
    'runtimeUnknownVariable',
    'runtimeUnknownTable',
    'customOpInputMissing',
    'unknownCheckedInt64Op',
    'runtimeValueCount',
    'runtimeDtypeMismatch',
    'batchConcatFailed',
    'batchWorkerFailed',
    'k8sSchemaInvalid',
  ] as const) {
    assert.equal(Errors[key].code, Code.INTERNAL, key);
  }
});
