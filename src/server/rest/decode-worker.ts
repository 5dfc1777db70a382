/**
 * The worker thread of {@link BigBodyDecoder} (body-decoder.ts): parses a REST predict body
 * (tensor/json-parser.ts through parseRequestBody) and, once the main thread knows the
 * signature, converts it to input tensors (predictInputsFromJson), so a big body never
 * holds the event loop. The parsed document stays here between the two steps; only the
 * signature name goes back, then the tensors (their buffers transferred, not copied).
 * Big answers are encoded here too (predictResponseJson), for the same reason.
 */
import { parentPort } from 'node:worker_threads';
import { asTfsError } from '../../errors.js';
import { type ParsedRequestBody, parseRequestBody, predictInputsFromJson, predictResponseJson } from '../../tensor/json-tensor.js';
import { type RequestLimits, setRequestLimits } from '../../tensor/limits.js';
import type { Tensor, TensorSpec } from '../../tensor/tensor.js';

/** Main thread → worker. */
export type DecodeRequest =
  | { readonly op: 'parse'; readonly id: number; readonly body: Uint8Array; readonly limits: RequestLimits }
  | { readonly op: 'convert'; readonly id: number; readonly specs: Readonly<Record<string, TensorSpec>> }
  | { readonly op: 'drop'; readonly id: number }
  | { readonly op: 'encode'; readonly id: number; readonly outputs: Record<string, Tensor>; readonly format: 'row' | 'columnar' };

/** A TfsError as plain fields (TfsError.revive rebuilds it). */
export interface ErrorFields {
  readonly code: number;
  readonly message: string;
  readonly id: string;
}

/** Worker → main thread. */
export type DecodeReply =
  | { readonly id: number; readonly signatureName: string }
  | { readonly id: number; readonly inputs: Record<string, Tensor>; readonly format: 'row' | 'columnar' }
  | { readonly id: number; readonly json: string }
  | { readonly id: number; readonly error: ErrorFields };

const parsed = new Map<number, ParsedRequestBody>();

function errorFields(err: unknown): ErrorFields {
  const e = asTfsError(err);
  return { code: e.code, message: e.message, id: e.id };
}

function transferList(inputs: Record<string, Tensor>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of Object.values(inputs)) {
    if (Array.isArray(t.data)) continue; // strings: cloned
    const buf = (t.data as ArrayBufferView).buffer;
    if (buf instanceof ArrayBuffer && buf.byteLength === (t.data as ArrayBufferView).byteLength) out.add(buf);
  }
  return [...out];
}

function handle(msg: DecodeRequest): void {
  const port = parentPort!;
  switch (msg.op) {
    case 'parse':
      try {
        setRequestLimits(msg.limits);
        const p = parseRequestBody(msg.body);
        parsed.set(msg.id, p);
        port.postMessage({ id: msg.id, signatureName: p.signatureName } satisfies DecodeReply);
      } catch (err) {
        port.postMessage({ id: msg.id, error: errorFields(err) } satisfies DecodeReply);
      }
      return;
    case 'convert': {
      const p = parsed.get(msg.id);
      parsed.delete(msg.id);
      try {
        if (!p) throw new Error(`decode job ${msg.id} has no parsed body`);
        const { inputs, format } = predictInputsFromJson(p, msg.specs);
        port.postMessage({ id: msg.id, inputs, format } satisfies DecodeReply, transferList(inputs));
      } catch (err) {
        port.postMessage({ id: msg.id, error: errorFields(err) } satisfies DecodeReply);
      }
      return;
    }
    case 'encode':
      try {
        port.postMessage({ id: msg.id, json: predictResponseJson(msg.outputs, msg.format) } satisfies DecodeReply);
      } catch (err) {
        port.postMessage({ id: msg.id, error: errorFields(err) } satisfies DecodeReply);
      }
      return;
    default:
      parsed.delete(msg.id);
  }
}

parentPort?.on('message', handle);
