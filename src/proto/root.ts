/**
 * The one loader for our protos (protos/): a protobufjs Root with every .proto file
 * loaded, field names kept as written (snake_case, as upstream and text format use).
 *
 * `lookupType('tensorflow.serving.PredictRequest')` gives the reflected message type;
 * `protosDir` is where grpc-js service definitions and tools find the files.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import { protosDir } from '../util/paths.js';

export { protosDir };

/** Every .proto file below protos/, relative to it (e.g. `tensorflow_serving/apis/predict.proto`). */
export function protoFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.proto')) out.push(relative(protosDir, p));
    }
  };
  walk(protosDir);
  return out;
}

let root: protobuf.Root | undefined;

/** The shared Root with all our protos (and protobufjs's google/protobuf well-known types). */
export function protoRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string): string | null => {
    // google/protobuf/*.proto come bundled with protobufjs (common definitions).
    if (target.startsWith('google/protobuf/')) return target;
    return join(protosDir, target.startsWith(protosDir) ? relative(protosDir, target) : target);
  };
  r.loadSync(protoFiles(), { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

/** A message type by its full name; throws if our protos do not define it. */
export function lookupType(fullName: string): protobuf.Type {
  return protoRoot().lookupType(fullName);
}

/** An enum by its full name (e.g. `tensorflow.DataType`). */
export function lookupEnum(fullName: string): protobuf.Enum {
  return protoRoot().lookupEnum(fullName);
}

/** Conversion options used whenever tfs turns a decoded message into a plain object. */
export const toObjectOptions: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Uint8Array as unknown as typeof String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
};
