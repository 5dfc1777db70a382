/**
 * Request limits shared by REST and gRPC: what one request may ask the runtime to hold,
 * checked while its tensors are decoded, before any runtime call.
 *
 * - rank ≤ 254: TensorFlow's TensorShape cannot hold more dimensions; deeper tensors
 *   reach code (tfjs, wasm) that recurses or allocates per dimension, and one of them
 *   (a REST body nested 25,000 deep) used to abort the wasm runtime for every model;
 * - elements per request (`--max_request_elements`) and bytes per request
 *   (`--max_request_tensor_bytes`; strings count their bytes): a tiny gRPC request can
 *   ask for an enormous tensor (a typed field broadcasts one value to the whole shape),
 *   and a REST body of millions of numbers costs seconds and gigabytes to convert.
 *
 * The limits are process-wide settings ({@link setRequestLimits}, from the serve flags);
 * each request gets a {@link RequestBudget} that sums its tensors.
 */
import { Errors } from '../errors.js';
import { type DTypeName, mustDtype } from './dtypes.js';

/** TensorFlow's `TensorShape::MaxDimensions()`. */
export const MAX_TENSOR_RANK = 254;

export interface RequestLimits {
  /** Most elements over all input tensors of one request. */
  readonly maxElements: number;
  /** Most bytes over all input tensors of one request (strings: their bytes). */
  readonly maxTensorBytes: number;
}

/**
 * Defaults a server can afford: 64 Mi elements / 1 GiB per request. A float32 request at
 * the element limit is 256 MiB; the JSON form of it is far over the 100 MiB body limit,
 * so REST requests meet the body limit first, and gRPC's 2 GiB messages meet these.
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxElements: 64 * 1024 * 1024, maxTensorBytes: 1024 * 1024 * 1024 };

let current: RequestLimits = DEFAULT_REQUEST_LIMITS;

/** Set the process-wide limits (a non-positive value means "no limit"). */
export function setRequestLimits(limits: Partial<RequestLimits>): void {
  const pick = (v: number | undefined, d: number): number => (v === undefined ? d : v <= 0 ? Infinity : v);
  current = {
    maxElements: pick(limits.maxElements, DEFAULT_REQUEST_LIMITS.maxElements),
    maxTensorBytes: pick(limits.maxTensorBytes, DEFAULT_REQUEST_LIMITS.maxTensorBytes),
  };
}

/** The limits in force. */
export function requestLimits(): RequestLimits {
  return current;
}

/** Throw the rank error when `rank` exceeds TensorFlow's limit. */
export function checkRank(alias: string, rank: number): void {
  if (rank > MAX_TENSOR_RANK) throw Errors.requestRankLimit(alias, MAX_TENSOR_RANK);
}

/** The running totals of one request's tensors. */
export class RequestBudget {
  private elements = 0;
  private bytes = 0;
  constructor(private readonly limits: RequestLimits = current) {}

  /**
   * Count a tensor of `shape` and `dtype` (string tensors: pass their byte count as
   * `stringBytes`, or count them later with {@link addBytes}). Checks the rank too.
   */
  addTensor(alias: string, shape: readonly number[], dtype: DTypeName, stringBytes = 0): void {
    checkRank(alias, shape.length);
    let n = 1;
    for (const d of shape) n *= d;
    this.addElements(alias, n);
    const size = mustDtype(dtype).byteSize;
    this.addBytes(alias, dtype === 'DT_STRING' ? stringBytes : n * Math.max(1, size));
  }

  addElements(alias: string, n: number): void {
    this.elements += n;
    if (this.elements > this.limits.maxElements) throw Errors.requestElementsLimit(alias, this.elements, this.limits.maxElements);
  }

  addBytes(alias: string, n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTensorBytes) throw Errors.requestBytesLimit(alias, this.bytes, this.limits.maxTensorBytes);
  }
}
