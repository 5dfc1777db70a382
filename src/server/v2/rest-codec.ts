/**
 * The REST body of a V2 infer request and response, with the binary tensor data extension:
 *
 * - without `Inference-Header-Content-Length`, the body is one JSON document;
 * - with it, the first N bytes are the JSON header and the rest is the inputs' binary
 *   data, concatenated in the order of the inputs that carry `parameters.binary_data_size`
 *   (every such size must match the input's shape and datatype, and together they must
 *   use the rest of the body exactly);
 * - outputs asked for with `parameters.binary_data: true` (or every output, with the
 *   request parameter `binary_data_output: true`) come back the same way: the response
 *   carries `Inference-Header-Content-Length` and each output's `binary_data_size`.
 */
import { Errors } from '../../errors.js';
import { type JsonValue, JsonObject, JsonInt, parseJson } from '../../tensor/json-parser.js';
import { quoteJson } from '../../tensor/json-writer.js';
import { tensorFromV2Json, tensorFromV2Raw, tensorToV2JsonData, tensorToV2Raw } from './datatypes.js';
import type { V2InferRequest, V2InferResult, V2Input, V2RequestedOutput } from './infer.js';

export const HEADER_LENGTH = 'inference-header-content-length';

function obj(v: JsonValue | undefined, what: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof JsonObject)) throw Errors.v2BadRequest(`'${what}' must be a JSON object`);
  return v;
}

function str(v: JsonValue | undefined, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw Errors.v2BadRequest(`'${what}' must be a string`);
  return v;
}

function int(v: JsonValue | undefined, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = v instanceof JsonInt ? v.value : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw Errors.v2BadRequest(`'${what}' must be an integer`);
  return n;
}

function arr(v: JsonValue | undefined, what: string): JsonValue[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw Errors.v2BadRequest(`'${what}' must be an array`);
  return v;
}

function bool(v: JsonValue | undefined, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw Errors.v2BadRequest(`'${what}' must be true or false`);
  return v;
}

/** Split the body at the header length; throws INVALID_ARGUMENT for a bad header value. */
function splitBody(body: Uint8Array, headerLength: string | undefined): { json: Uint8Array; binary: Uint8Array | undefined } {
  if (headerLength === undefined) return { json: body, binary: undefined };
  if (!/^\d{1,15}$/.test(headerLength.trim())) throw Errors.v2BadHeaderLength(headerLength, body.length);
  const n = Number(headerLength.trim());
  if (n > body.length) throw Errors.v2BadHeaderLength(headerLength, body.length);
  return { json: body.subarray(0, n), binary: body.subarray(n) };
}

/** One element of `inputs`; `binary` is the rest of the body, consumed in order. */
function parseInput(v: JsonValue, i: number, binary: { bytes: Uint8Array | undefined; offset: number }): V2Input {
  const o = obj(v, `inputs[${i}]`)!;
  const name = str(o.get('name'), `inputs[${i}].name`);
  if (!name) throw Errors.v2BadRequest(`inputs[${i}] has no 'name'`);
  const datatype = str(o.get('datatype'), `inputs[${i}].datatype`);
  if (!datatype) throw Errors.v2BadRequest(`input '${name}' has no 'datatype'`);
  const shapeJson = arr(o.get('shape'), `inputs[${i}].shape`);
  if (!shapeJson) throw Errors.v2BadRequest(`input '${name}' has no 'shape'`);
  const shape = shapeJson.map((d, k) => int(d, `inputs[${i}].shape[${k}]`)!);
  const params = obj(o.get('parameters'), `inputs[${i}].parameters`);
  const size = int(params?.get('binary_data_size'), `inputs[${i}].parameters.binary_data_size`);
  if (size === undefined) {
    const data = o.get('data');
    if (data === undefined) throw Errors.v2BadRequest(`input '${name}' has neither 'data' nor 'parameters.binary_data_size'`);
    return { name, datatype, tensor: tensorFromV2Json(name, datatype, shape, data) };
  }
  if (o.has('data')) throw Errors.v2BadRequest(`input '${name}' has both 'data' and 'parameters.binary_data_size'`);
  if (!binary.bytes) throw Errors.v2BadRequest(`input '${name}' has 'binary_data_size' but the request has no Inference-Header-Content-Length`);
  if (size < 0) throw Errors.v2BadRequest(`input '${name}': binary_data_size ${size} is negative`);
  if (binary.offset + size > binary.bytes.length) {
    throw Errors.v2BadRequest(`input '${name}': binary_data_size ${size} runs past the end of the body (${binary.bytes.length - binary.offset} bytes left)`);
  }
  const raw = binary.bytes.subarray(binary.offset, binary.offset + size);
  binary.offset += size;
  return { name, datatype, tensor: tensorFromV2Raw(name, datatype, shape, raw) };
}

function parseOutputs(v: JsonValue | undefined, allBinary: boolean): V2RequestedOutput[] | undefined {
  const list = arr(v, 'outputs');
  if (!list) return undefined;
  return list.map((e, i) => {
    const o = obj(e, `outputs[${i}]`)!;
    const name = str(o.get('name'), `outputs[${i}].name`);
    if (!name) throw Errors.v2BadRequest(`outputs[${i}] has no 'name'`);
    const b = bool(obj(o.get('parameters'), `outputs[${i}].parameters`)?.get('binary_data'), `outputs[${i}].parameters.binary_data`);
    return { name, binary: b ?? allBinary };
  });
}

export interface ParsedV2Body {
  readonly request: V2InferRequest;
  /** Request parameter `binary_data_output`: every output without its own setting is binary. */
  readonly allBinary: boolean;
}

/** Parse an infer request body for `model`/`version` (from the URL). Throws INVALID_ARGUMENT. */
export function parseV2InferBody(body: Uint8Array, headerLength: string | undefined, model: string, version: string | undefined): ParsedV2Body {
  const { json, binary } = splitBody(body, headerLength);
  const doc = parseJson(json);
  if (!(doc instanceof JsonObject)) throw Errors.v2BadRequest('the request body must be a JSON object');
  const params = obj(doc.get('parameters'), 'parameters');
  const allBinary = bool(params?.get('binary_data_output'), 'parameters.binary_data_output') ?? false;
  const signatureName = str(params?.get('signature_name'), 'parameters.signature_name');
  const id = str(doc.get('id'), 'id');
  const inputsJson = arr(doc.get('inputs'), 'inputs');
  if (!inputsJson) throw Errors.v2BadRequest("the request has no 'inputs'");
  const cursor = { bytes: binary, offset: 0 };
  const inputs = inputsJson.map((v, i) => parseInput(v, i, cursor));
  if (binary && cursor.offset !== binary.length) {
    throw Errors.v2BadRequest(`the binary data of the inputs is ${cursor.offset} bytes, but ${binary.length} bytes follow the JSON header`);
  }
  // binary_data_output applies to every output when none are listed.
  const outputs = parseOutputs(doc.get('outputs'), allBinary);
  return { request: { model, version, id, signatureName, inputs, ...(outputs ? { outputs } : {}) }, allBinary };
}

export interface EncodedV2Body {
  readonly body: Buffer;
  /** Set when binary outputs follow the JSON header. */
  readonly headerLength?: number;
}

/** The response body: JSON, or the JSON header followed by binary outputs. */
export function encodeV2InferResponse(res: V2InferResult, allBinary: boolean): EncodedV2Body {
  const chunks: Uint8Array[] = [];
  const outs = res.outputs.map((o) => {
    const binary = o.binary || allBinary;
    const head = `{"name":${quoteJson(o.name)},"datatype":"${o.datatype}","shape":[${o.tensor.shape.join(',')}]`;
    if (!binary) return `${head},"data":${tensorToV2JsonData(o.tensor)}}`;
    const raw = tensorToV2Raw(o.tensor);
    chunks.push(raw);
    return `${head},"parameters":{"binary_data_size":${raw.length}}}`;
  });
  const id = res.id === undefined ? '' : `"id":${quoteJson(res.id)},`;
  const json = Buffer.from(`{"model_name":${quoteJson(res.model)},"model_version":${quoteJson(res.version)},${id}"outputs":[${outs.join(',')}]}`);
  if (chunks.length === 0) return { body: json };
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}
