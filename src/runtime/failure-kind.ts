/**
 * Whose fault a failure during a model run is (FINDINGS R4). A TfsError keeps its own code.
 * A failure of the runtime itself (a wasm trap such as `memory access out of bounds`, an
 * emscripten `Aborted()`, running out of memory or stack, a TypeError inside tfjs-converter)
 * is INTERNAL with a short message, and the log gets the stack. Anything else a kernel
 * throws is the input's fault, as TF reports it (INVALID_ARGUMENT); tfjs's wording of the
 * common shape errors is rewritten into TensorFlow's.
 */
import { Errors, TfsError, kernelFailure } from '../errors.js';
import type { Logger } from '../util/logger.js';

export type FailureKind = 'runtime' | 'input';

const CRASH_TEXT = /Aborted\(|memory access out of bounds|unreachable|out of memory|Cannot enlarge memory|allocation failed|Maximum call stack|Invalid (typed )?array length/i;
const CRASH_TYPES: readonly (abstract new (...a: never[]) => Error)[] = [TypeError, ReferenceError, SyntaxError, RangeError];
/** WebAssembly's error classes (by name: the project's TS lib has no WebAssembly types). */
const WASM_ERRORS = new Set(['RuntimeError', 'CompileError', 'LinkError']);

/** 'runtime' when tfs (or tfjs, or wasm) broke, 'input' when the request is to blame. */
export function failureKind(err: unknown): FailureKind {
  if (err instanceof TfsError) return err.code === 13 ? 'runtime' : 'input';
  if (!(err instanceof Error)) return 'runtime'; // a thrown string or number: never a kernel's shape check
  if (CRASH_TYPES.some((t) => err instanceof t) || WASM_ERRORS.has(err.name)) return 'runtime';
  return CRASH_TEXT.test(err.message) ? 'runtime' : 'input';
}

/** The first line of a failure's text, bounded, for the client. */
function shortText(err: unknown): string {
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const dims = (list: string): string => `[${list.trim()}]`;
const nums = (list: string): number[] => (list === '' ? [] : list.split(',').map(Number));

/** tfjs's text of a shape error rewritten as TF's, or undefined when it is not one tfs knows. */
export function tensorflowText(message: string): TfsError | undefined {
  let m = /matMul: inner shapes \((\d+)\) and \((\d+)\) of Tensors with shapes ([\d,]*) and ([\d,]*) and transposeA=(\w+) and transposeB=(\w+)/.exec(message);
  if (m) {
    const [, d1, d2, a, b, ta, tb] = m as unknown as string[];
    if (a!.split(',').length === 2 && b!.split(',').length === 2) return Errors.matMulSizeIncompatible(dims(a!), dims(b!));
    return Errors.batchMatMulMismatch(Number(d1), Number(d2), dims(a!), dims(b!), ta === 'true', tb === 'true');
  }
  m = /could not be broadcast together with shapes ([\d,]*) and ([\d,]*)/.exec(message);
  if (m) return Errors.incompatibleShapes(nums(m[1]!), nums(m[2]!));
  m = /^Size\((\d+)\) must match the product of shape ([\d,]*)/.exec(message);
  if (m) return Errors.reshapeSize(Number(m[1]), nums(m[2]!).reduce((p, d) => p * d, 1), false);
  m = /implicit shape can't be a fractional number\. Got (\d+) \/ (\d+)/.exec(message);
  if (m) return Errors.reshapeSize(Number(m[1]), Number(m[2]), true);
  return undefined;
}

/**
 * The TfsError a failed run answers with. Runtime failures are logged with their stack
 * (`model` names the model in the log line); `hint` explains a likely input cause.
 */
export function runFailure(err: unknown, hint: string | undefined, logger: Logger, model: string): TfsError {
  if (err instanceof TfsError) return err;
  if (failureKind(err) === 'runtime') {
    logger.error({ model, err }, `model ${model}: runtime failure during a run: ${shortText(err)}`);
    return Errors.runtimeCrash(shortText(err), err);
  }
  const message = err instanceof Error ? err.message : String(err);
  const tfError = tensorflowText(message);
  if (!tfError) return kernelFailure(err, hint);
  return hint === undefined ? tfError : tfError.withHint(hint);
}
