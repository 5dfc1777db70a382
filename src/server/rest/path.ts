/**
 * The REST URL grammar of tensorflow_model_server (http_rest_api_util.cc), parsed
 * ourselves instead of with fastify's router: the two case-insensitive, fully-matched
 * regexes of spec §1.2, then upstream's processing rules (lowercase dispatch of the
 * verb and of `metadata`, percent-decoding of name and label, int64 versions).
 *
 * The "path" is the request target as received: path plus `?query` (upstream matches
 * the query too, so `POST …:predict?x=1` is malformed).
 */
import { Errors, type TfsError } from '../../errors.js';
import { exactVersion } from '../../servables/model-spec.js';

/** Paths the REST handler owns (`(?i)/v1/.*`, full match). */
export const REST_PATH_RE = /^\/v1\/.*$/i;

const PREDICTION_RE = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+)|\/labels\/([^/:]+))?:(classify|regress|predict)$/i;
const STATUS_RE = /^\/v1\/models(?:\/([^/:]+))?(?:\/versions\/(\d+)|\/labels\/([^/:]+))?(?:\/(metadata))?$/i;

export type RestVerb = 'predict' | 'classify' | 'regress';

export type RestRoute =
  | { kind: RestVerb; name: string; version?: number; label?: string }
  | { kind: 'status'; name: string; version?: number; label?: string }
  | { kind: 'metadata'; name: string; version?: number; label?: string };


const INT64_MAX = 2n ** 63n - 1n;

/**
 * libcurl-style unescape of a URL segment: `%XX` → byte, anything else (including `+`
 * and malformed escapes) kept as is; the bytes are then read as UTF-8. `s` is the
 * request target as Node hands it over (one char per received byte).
 */
export function percentDecode(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (s.indexOf('%') < 0 && /^[\u0000-\u007f]*$/.test(s)) return s;
  const src = Buffer.from(s, 'latin1');
  const out = Buffer.alloc(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length && isHex(src[i + 1]!) && isHex(src[i + 2]!)) {
      out[n++] = (hexVal(src[i + 1]!) << 4) | hexVal(src[i + 2]!);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n).toString('utf8');
}

function hexVal(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function parseVersion(digits: string | undefined, name: string): number | undefined {
  if (digits === undefined || digits === '') return undefined;
  // absl::SimpleAtoi into int64: anything above 2^63-1 fails (upstream answers that with an
  // empty body; tfs gives its text, as every error has a body).
  if (digits.length > 25 || BigInt(digits) > INT64_MAX) throw Errors.versionNotNumeric(digits);
  return exactVersion(name, digits);
}

/**
 * Routes of recent POST paths: clients send the same few URLs over and over, and the regex,
 * percent-decoding and BigInt version checks cost about half a microsecond each time. Only
 * successful parses are kept (a route is a pure function of the path, and read-only once
 * made); the table is emptied when it fills, so it stays small whatever clients send.
 */
const postRoutes = new Map<string, Readonly<RestRoute>>();
const POST_ROUTES_MAX = 256;

/**
 * Parse `<METHOD> <path>` into a route. Throws INVALID_ARGUMENT
 * `Malformed request: <METHOD> <path>` (JSON body) when nothing matches or the verb /
 * method combination is not dispatched, and `Failed to convert version: <digits> to numeric.` for int64 overflow.
 * `GET /v1/models` (no name) throws `Missing model name in request.`.
 */
export function parseRestPath(method: string, path: string): Readonly<RestRoute> {
  if (method !== 'POST') return parsePath(method, path);
  let route = postRoutes.get(path);
  if (route === undefined) {
    route = Object.freeze(parsePath(method, path));
    if (postRoutes.size >= POST_ROUTES_MAX) postRoutes.clear();
    postRoutes.set(path, route);
  }
  return route;
}

function parsePath(method: string, path: string): RestRoute {
  const malformed = (): TfsError => Errors.malformedRequest(method, path);
  if (method === 'POST') {
    const m = PREDICTION_RE.exec(path);
    if (!m) throw malformed();
    const [, rawName, digits, rawLabel, verb] = m;
    const name = percentDecode(rawName!);
    const version = parseVersion(digits, name);
    const label = rawLabel === undefined ? undefined : percentDecode(rawLabel);
    // The regex is case-insensitive but dispatch compares with lowercase verbs.
    if (verb !== 'predict' && verb !== 'classify' && verb !== 'regress') throw malformed();
    return withSpec({ kind: verb, name }, version, label);
  }
  if (method === 'GET') {
    const m = STATUS_RE.exec(path);
    if (!m) throw malformed();
    const [, rawName, digits, rawLabel, sub] = m;
    const name = rawName === undefined ? '' : percentDecode(rawName);
    const version = parseVersion(digits, name);
    const label = rawLabel === undefined ? undefined : percentDecode(rawLabel);
    // `/METADATA` matches the regex but is not "metadata": it is a status request.
    if (sub === 'metadata') return withSpec({ kind: 'metadata', name }, version, label);
    if (!name) throw Errors.missingModelName();
    return withSpec({ kind: 'status', name }, version, label);
  }
  throw malformed();
}

function withSpec<T extends { kind: RestRoute['kind']; name: string }>(
  base: T,
  version: number | undefined,
  label: string | undefined,
): RestRoute {
  const r = { ...base } as RestRoute;
  if (version !== undefined) r.version = version;
  if (label !== undefined) r.label = label;
  return r;
}
