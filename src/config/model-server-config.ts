/**
 * ModelServerConfig (--model_config_file, HandleReloadConfigRequest, --model_name/--model_base_path):
 * parsed, validated with upstream's rules and texts (tfserving-spec.md §3.1, §3.2), normalised
 * into the engine's {@link ModelServerConfig}.
 *
 * One deliberate difference: a relative base_path is resolved against the directory of the
 * config file (upstream rejects it with `Expected model <m> to have an absolute path or URI;
 * got base_path()=<p>`), so a config kept next to its models works from any checkout;
 * `tfs validate` reports it as a warning quoting upstream's text. Configs that arrive over
 * gRPC have no directory to resolve against and get upstream's error.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lookupType } from '../proto/root.js';
import { Code, Errors } from '../errors.js';
import type { ModelConfig, ModelServerConfig, VersionPolicy } from './types.js';
import { parseTextFormatDocument, TextFormatError, type TextFormatDocument } from '../proto/text-format.js';
import {
  CONFIG_KIND_TYPES,
  ConfigError,
  issueAt,
  jsonView,
  schemaIssues,
  sortIssues,
  type ConfigIssue,
  type ConfigKind,
  type IssueSource,
} from './validation.js';

const TYPE_NAME = 'tensorflow.serving.ModelServerConfig';

/** True for `/abs/path` and for URIs with a scheme (`gs://…`, `s3://…`, `file:///…`). */
export function isAbsolutePathOrUri(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(p);
}

/** Upstream's text for a base_path that is neither absolute nor a URI. */
export function relativeBasePathMessage(model: string, basePath: string): string {
  return `Expected model ${model} to have an absolute path or URI; got base_path()=${basePath}`;
}

/** Outcome of checking a ModelServerConfig: the config (when valid) and every issue. */
export interface ModelServerConfigCheck {
  readonly config: ModelServerConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly doc?: TextFormatDocument;
}

/** Turns a text-format parse failure into upstream's `Invalid protobuf file: '<path>'` error. */
export function parseFailure(kind: ConfigError['kind'], file: string, err: TextFormatError): ConfigError {
  const issues: ConfigIssue[] = err.errors.map((e) => {
    const issue: ConfigIssue = { severity: 'error', file, line: e.line, column: e.column, message: e.message, path: '', upstream: true };
    return e.hint === undefined ? issue : { ...issue, hint: e.hint };
  });
  // Both upstream texts: the status message and the protobuf library's log line.
  const message = `${Errors.invalidProtobufFile(file).message}: Error parsing text-format ${err.typeName}: ${err.errors[0]?.line ?? 1}:${err.errors[0]?.column ?? 1}: ${err.reason}`;
  return new ConfigError(kind, file, issues, message);
}

/**
 * Parses `text` as the text-format message of a config `kind` (CONFIG_KIND_TYPES); a syntax
 * error comes back as {@link parseFailure}'s ConfigError (returned, not thrown, for the
 * check functions that report it as issues).
 */
export function configDocumentOrFailure(kind: ConfigKind, text: string, file: string): TextFormatDocument | ConfigError {
  try {
    return parseTextFormatDocument(lookupType(CONFIG_KIND_TYPES[kind]), text, file);
  } catch (e) {
    if (e instanceof TextFormatError) return parseFailure(kind, file, e);
    throw e;
  }
}

/** Like {@link configDocumentOrFailure}, throwing the ConfigError. */
export function parseConfigDocument(kind: ConfigKind, text: string, file: string): TextFormatDocument {
  const doc = configDocumentOrFailure(kind, text, file);
  if (doc instanceof ConfigError) throw doc;
  return doc;
}

/** The set member of the policy oneof (from the virtual oneof field, or by presence). */
function policyChoice(p: Record<string, unknown> | undefined): string | undefined {
  if (!p) return undefined;
  if (typeof p['policy_choice'] === 'string') return p['policy_choice'];
  return ['specific', 'all', 'latest'].find((k) => p[k] !== undefined && p[k] !== null);
}

function versionPolicyOf(p: Record<string, unknown> | undefined): VersionPolicy {
  const choice = policyChoice(p);
  if (choice === 'all') return { kind: 'all' };
  if (choice === 'specific') {
    const versions = ((p?.['specific'] as Record<string, unknown> | undefined)?.['versions'] ?? []) as unknown[];
    return { kind: 'specific', versions: versions.map((v) => Number(String(v))) };
  }
  const n = Number((p?.['latest'] as Record<string, unknown> | undefined)?.['num_versions'] ?? 0);
  // Upstream treats num_versions 0 (the unset default) as 1.
  return { kind: 'latest', numVersions: n > 0 ? n : 1 };
}

/**
 * Validates a decoded/parsed ModelServerConfig plain object (protobufjs toObject shape) and
 * normalises it. `configDir`, when given, is where relative base paths are resolved (and
 * they become warnings); without it they are errors, as upstream.
 */
export function checkModelServerConfig(obj: Record<string, unknown>, source: IssueSource, configDir?: string): ModelServerConfigCheck {
  const type = lookupType(TYPE_NAME);
  const view = jsonView(type, obj);
  const issues: ConfigIssue[] = [...schemaIssues('model_config', view, source)];
  if (source.doc) {
    for (const w of source.doc.warnings) issues.push({ severity: 'warning', file: source.file, line: w.line, column: w.column, message: w.message, path: '' });
  }
  const list = obj['model_config_list'] as Record<string, unknown> | undefined;
  const configs = ((list?.['config'] ?? []) as Record<string, unknown>[]).filter((c) => c && typeof c === 'object');
  const models: ModelConfig[] = [];
  configs.forEach((c, i) => {
    const name = String(c['name'] ?? '');
    const written = String(c['base_path'] ?? '');
    let basePath = written;
    if (/\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*/.test(written)) {
      issues.push(
        issueAt(
          source,
          ['model_config_list', 'config', i, 'base_path'],
          'warning',
          `base_path of model ${name} contains an unexpanded variable: ${written}`,
          'Config files are not expanded: write the real path (tensorflow_model_server does not expand variables either).',
          'value',
        ),
      );
    }
    if (written !== '' && !isAbsolutePathOrUri(written)) {
      const path = ['model_config_list', 'config', i, 'base_path'];
      if (configDir !== undefined) {
        basePath = resolve(configDir, written);
        issues.push(
          issueAt(
            source,
            path,
            'warning',
            `${relativeBasePathMessage(name, written)} (upstream rejects this; tfs resolves it against the config file's directory: ${basePath})`,
            'Use an absolute path or URI for tensorflow_model_server compatibility.',
            'value',
          ),
        );
      } else {
        issues.push({ ...issueAt(source, path, 'error', relativeBasePathMessage(name, written), 'Use an absolute path or a URI (gs://, s3://, file://…).', 'value'), upstream: true });
      }
    }
    const platform = String(c['model_platform'] ?? '') || (c['model_type'] === 'TENSORFLOW' ? 'tensorflow' : '');
    const labels: Record<string, number> = {};
    for (const [k, v] of Object.entries((c['version_labels'] ?? {}) as Record<string, unknown>)) labels[k] = Number(String(v));
    const policyObj = c['model_version_policy'] as Record<string, unknown> | undefined;
    if (policyObj && policyChoice(policyObj) === undefined) {
      issues.push(
        issueAt(source, ['model_config_list', 'config', i, 'model_version_policy'], 'warning', `model_version_policy of model ${name} sets no policy; the default latest { num_versions: 1 } applies`, 'Write latest { }, all { } or specific { versions: … } inside model_version_policy.'),
      );
    }
    const sampling = ((c['logging_config'] as Record<string, unknown> | undefined)?.['sampling_config'] as Record<string, unknown> | undefined)?.['sampling_rate'];
    const model: ModelConfig = {
      name,
      basePath,
      modelPlatform: platform,
      versionPolicy: versionPolicyOf(policyObj),
      versionLabels: Object.freeze(labels),
      ...(typeof sampling === 'number' ? { sampling: { samplingRate: sampling } } : {}),
    };
    models.push(Object.freeze(model));
  });
  sortIssues(issues);
  const ok = !issues.some((x) => x.severity === 'error');
  const config: ModelServerConfig | undefined = ok
    ? Object.freeze({ models: Object.freeze(models), ...(obj['model_config_list'] == null && obj['custom_model_config'] == null ? { isEmpty: true } : {}) })
    : undefined;
  return source.doc ? { config, issues, doc: source.doc } : { config, issues };
}

/** Parses and checks text; never throws for bad input (parse errors become issues). */
export function checkModelServerConfigText(text: string, file: string): ModelServerConfigCheck {
  const doc = configDocumentOrFailure('model_config', text, file);
  if (doc instanceof ConfigError) return { config: undefined, issues: doc.issues };
  return checkModelServerConfig(doc.value, { file, doc }, dirname(resolve(file)));
}

function throwIfInvalid(check: ModelServerConfigCheck, file: string): ModelServerConfig {
  if (check.config) return check.config;
  const first = check.issues.find((i) => i.severity === 'error');
  const code = first?.message === 'ModelServer does not yet support custom model config.' ? Code.UNIMPLEMENTED : Code.INVALID_ARGUMENT;
  throw new ConfigError('model_config', file, check.issues, undefined, code);
}

/**
 * Parses text-format ModelServerConfig. Throws {@link ConfigError}: on a syntax error its
 * message is upstream's `Invalid protobuf file: '<file>': Error parsing text-format
 * tensorflow.serving.ModelServerConfig: <line>:<col>: <reason>`; on a rule violation,
 * upstream's text for that rule; `issues` lists all of them with positions.
 * Relative base paths are resolved against the directory of `file`.
 */
export function parseModelServerConfig(text: string, file: string): ModelServerConfig {
  const doc = parseConfigDocument('model_config', text, file);
  return throwIfInvalid(checkModelServerConfig(doc.value, { file, doc }, dirname(resolve(file))), file);
}

/** Reads and parses a --model_config_file (see {@link parseModelServerConfig}). */
export function loadModelServerConfig(file: string): ModelServerConfig {
  return parseModelServerConfig(readConfigFile('model_config', file), file);
}

/**
 * Validates a decoded tensorflow.serving.ModelServerConfig (toObject shape, as gRPC
 * HandleReloadConfigRequest delivers it). Relative base paths are errors here (upstream text).
 */
export function modelServerConfigFromProto(obj: Record<string, unknown>): ModelServerConfig {
  const file = '<ModelServerConfig>';
  return throwIfInvalid(checkModelServerConfig(obj, { file }), file);
}

/**
 * What --model_name/--model_base_path build (upstream BuildSingleModelConfig): one model,
 * platform tensorflow, default latest-1 policy. A relative base path is resolved against
 * the current directory (upstream would reject it).
 */
export function singleModelConfig(name: string, basePath: string): ModelServerConfig {
  const resolved = isAbsolutePathOrUri(basePath) || basePath === '' ? basePath : resolve(basePath);
  const model: ModelConfig = Object.freeze({
    name,
    basePath: resolved,
    modelPlatform: 'tensorflow',
    versionPolicy: { kind: 'latest' as const, numVersions: 1 },
    versionLabels: Object.freeze({}),
  });
  return Object.freeze({ models: Object.freeze([model]) });
}

/** Reads a config file; a missing/unreadable file is INVALID_ARGUMENT naming it. */
export function readConfigFile(kind: ConfigError['kind'], file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    const issue: ConfigIssue = { severity: 'error', file, line: 0, column: 0, message: `${file}: ${reason}`, path: '', hint: 'Check the path of the config file.' };
    throw new ConfigError(kind, file, [issue], `${Errors.invalidProtobufFile(file).message}: ${reason}`);
  }
}
