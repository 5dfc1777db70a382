/**
 * What `tfs validate` does, as a library: detect each file's kind, parse and check it, and
 * describe what was understood (models, base paths, policies, labels; batching parameters
 * with defaults filled in). The result's shape is documented by schemas/cli/validate.schema.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { lookupType } from '../proto/root.js';
import { Errors } from '../errors.js';
import type { BatchingParameters, ModelServerConfig, MonitoringConfig, SslConfig, VersionPolicy } from './types.js';
import { parseTextFormatDocument, TextFormatError, type TextFormatDocument } from '../proto/text-format.js';
import { CONFIG_KIND_TYPES, CONFIG_KINDS, issueAt, sortIssues, type ConfigIssue, type ConfigKind } from './validation.js';
import { checkModelServerConfigText, relativeBasePathMessage } from './model-server-config.js';
import { checkBatchingParametersText } from './batching.js';
import { checkMonitoringConfigText } from './monitoring.js';
import { checkSslConfigText } from './ssl.js';

/** URI schemes tfs serve reads base paths from (besides plain absolute paths); see sources/storage-location.ts. */
const READABLE_SCHEMES = ['file', 's3'];

/** How the kind of a file was decided. */
export type KindSource = 'flag' | 'content' | 'file name';

/** One model as `tfs validate` reports it. */
export interface ValidatedModel {
  name: string;
  /** Absolute path or URI that tfs will use. */
  basePath: string;
  /** As written in the file (differs when a relative path was resolved). */
  basePathWritten: string;
  modelPlatform: string;
  versionPolicy: VersionPolicy;
  versionLabels: Record<string, number>;
  samplingRate?: number;
}

/** A config as `tfs validate` reports it (secrets of SSL configs are summarised, not echoed). */
export type ValidatedConfig =
  | { kind: 'model_config'; empty: boolean; models: ValidatedModel[] }
  | { kind: 'batching'; parameters: BatchingParameters; defaulted: string[] }
  | { kind: 'monitoring'; prometheus: MonitoringConfig['prometheus']; pathDefaulted: boolean }
  | { kind: 'ssl'; serverKey: string; serverCert: string; customCa: string; clientVerify: boolean };

export interface FileReport {
  file: string;
  kind: ConfigKind;
  kindSource: KindSource;
  /** Full name of the proto message the file was read as. */
  type: string;
  valid: boolean;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  /** What tensorflow_model_server would fail with on this file, or null if it would accept it. */
  upstream: string | null;
  config: ValidatedConfig | null;
}

export interface ValidateReport {
  valid: boolean;
  errorCount: number;
  warningCount: number;
  files: FileReport[];
}

const BATCHING_FIELDS: Record<keyof BatchingParameters, string> = {
  maxBatchSize: 'max_batch_size',
  batchTimeoutMicros: 'batch_timeout_micros',
  maxEnqueuedBatches: 'max_enqueued_batches',
  numBatchThreads: 'num_batch_threads',
  threadPoolName: 'thread_pool_name',
  allowedBatchSizes: 'allowed_batch_sizes',
  padVariableLengthInputs: 'pad_variable_length_inputs',
  enableLargeBatchSplitting: 'enable_large_batch_splitting',
  maxExecutionBatchSize: 'max_execution_batch_size',
};

function kindFromFileName(file: string): ConfigKind | undefined {
  const name = basename(file).toLowerCase();
  if (/batch/.test(name)) return 'batching';
  if (/monitor|prometheus|metrics/.test(name)) return 'monitoring';
  if (/ssl|tls/.test(name)) return 'ssl';
  if (/model/.test(name)) return 'model_config';
  return undefined;
}

/**
 * Decides which config a text is: the one kind it parses as; when several fit (an empty or
 * comment-only file) or none does, the file name decides (batch…, monitor…, ssl…), then
 * how far each parse got (the kind that understood most of the file), then model_config.
 */
export function detectConfigKind(text: string, file: string): { kind: ConfigKind; source: KindSource } {
  const fits: ConfigKind[] = [];
  const reach = new Map<ConfigKind, number>();
  for (const kind of CONFIG_KINDS) {
    try {
      parseTextFormatDocument(lookupType(CONFIG_KIND_TYPES[kind]), text, file);
      fits.push(kind);
    } catch (e) {
      if (!(e instanceof TextFormatError)) throw e;
      const first = e.errors[0];
      reach.set(kind, first ? first.line * 1e6 + first.column : 0);
    }
  }
  const byName = kindFromFileName(file);
  if (fits.length === 1) return { kind: fits[0]!, source: 'content' };
  if (fits.length > 1) return byName && fits.includes(byName) ? { kind: byName, source: 'file name' } : { kind: fits[0]!, source: 'content' };
  const best = Math.max(...reach.values());
  const furthest = CONFIG_KINDS.filter((k) => reach.get(k) === best);
  if (furthest.length === 1) return { kind: furthest[0]!, source: 'content' };
  if (byName && furthest.includes(byName)) return { kind: byName, source: 'file name' };
  return { kind: furthest[0] ?? 'model_config', source: 'content' };
}

function split(issues: readonly ConfigIssue[]): { errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  return { errors: issues.filter((i) => i.severity === 'error'), warnings: issues.filter((i) => i.severity === 'warning') };
}

function upstreamOf(file: string, errors: ConfigIssue[], parsed: boolean): string | null {
  if (!parsed) return Errors.invalidProtobufFile(file).message;
  return errors.find((e) => e.upstream === true)?.message ?? null;
}

function modelReport(file: string, text: string): Omit<FileReport, 'file' | 'kind' | 'kindSource' | 'type'> {
  const check = checkModelServerConfigText(text, file);
  const { errors, warnings } = split(check.issues);
  const doc = check.doc;
  let upstream = upstreamOf(file, errors, doc !== undefined);
  let config: ValidatedConfig | null = null;
  if (check.config && doc) {
    const written = ((doc.value['model_config_list'] as Record<string, unknown> | undefined)?.['config'] ?? []) as Record<string, unknown>[];
    config = { kind: 'model_config', empty: check.config.isEmpty === true, models: check.config.models.map((m, i) => modelOf(m, String(written[i]?.['base_path'] ?? m.basePath))) };
    // A relative base path is fine for tfs but fatal for tensorflow_model_server.
    const rel = config.models.find((m) => m.basePath !== m.basePathWritten);
    if (rel) upstream = relativeBasePathMessage(rel.name, rel.basePathWritten);
    config.models.forEach((m, i) => {
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(m.basePath)?.[1]?.toLowerCase();
      if (scheme !== undefined && !READABLE_SCHEMES.includes(scheme)) {
        // tfs serve refuses to start on it (TensorFlow Serving itself reads gs:// and others).
        errors.push(
          issueAt({ file, doc }, ['model_config_list', 'config', i, 'base_path'], 'error', `base_path of model ${m.name}: ${Errors.unsupportedFileSystemScheme(scheme, m.basePath).message}`, undefined, 'value'),
        );
      }
      if (m.basePath.startsWith('/') && !existsSync(m.basePath)) {
        warnings.push(
          issueAt({ file, doc }, ['model_config_list', 'config', i, 'base_path'], 'warning', `base_path of model ${m.name} does not exist: ${m.basePath}`, 'Create it (with numbered version subdirectories) or fix the path; the server waits for versions to appear.', 'value'),
        );
      }
    });
    config.models.forEach((m, i) => {
      for (const issue of labelIssues(m, (label) => issueAt({ file, doc }, ['model_config_list', 'config', i, 'version_labels', label], 'error', ''))) {
        (issue.severity === 'error' ? errors : warnings).push(issue);
      }
    });
    sortIssues(errors);
    sortIssues(warnings);
  }
  return { valid: errors.length === 0, errors, warnings, upstream, config };
}

/** Numeric version directories under a local base path (empty when it cannot be listed). */
function versionsOnDisk(basePath: string): number[] {
  try {
    return readdirSync(basePath, { withFileTypes: true })
      .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
      .map((d) => Number(d.name))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/**
 * Labels `tfs serve` would refuse. A label on a version outside a `specific` policy can never
 * be served (an error, with the text serve fails with). A label on a version the policy
 * would not pick from the versions on disk today fails at start-up unless
 * `--allow_version_labels_for_unavailable_models` (a warning: the version may still appear).
 */
function labelIssues(m: ValidatedModel, at: (label: string) => ConfigIssue): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const onDisk = m.basePath.startsWith('/') ? versionsOnDisk(m.basePath) : [];
  const p = m.versionPolicy;
  const served = p.kind === 'specific' ? p.versions : p.kind === 'all' ? onDisk : onDisk.slice(-p.numVersions);
  for (const [label, version] of Object.entries(m.versionLabels)) {
    const upstreamText = Errors.labelVersionNotAvailable(m.name, version).message;
    if (p.kind === 'specific' && !p.versions.includes(version)) {
      out.push({ ...at(label), message: upstreamText, hint: `The version policy serves only versions ${p.versions.join(', ')}; point label ${label} at one of them or add ${version} to the policy.` });
    } else if (p.kind !== 'specific' && onDisk.length > 0 && !served.includes(version)) {
      out.push({
        ...at(label),
        severity: 'warning',
        message: `${upstreamText} (the ${policyText(p)} policy serves ${served.join(', ')} of the versions on disk)`,
        hint: 'tfs serve refuses this at start-up unless --allow_version_labels_for_unavailable_models is set, and then the label answers only once that version loads.',
      });
    }
  }
  return out;
}

function modelOf(m: ModelServerConfig['models'][number], written: string): ValidatedModel {
  const out: ValidatedModel = {
    name: m.name,
    basePath: m.basePath,
    basePathWritten: written,
    modelPlatform: m.modelPlatform,
    versionPolicy: m.versionPolicy,
    versionLabels: { ...m.versionLabels },
  };
  if (m.sampling) out.samplingRate = m.sampling.samplingRate;
  return out;
}

function batchingReport(file: string, text: string): Omit<FileReport, 'file' | 'kind' | 'kindSource' | 'type'> {
  const check = checkBatchingParametersText(text, file);
  const { errors, warnings } = split(check.issues);
  const doc: TextFormatDocument | undefined = check.doc;
  let config: ValidatedConfig | null = null;
  if (check.parameters && doc) {
    const defaulted = (Object.keys(BATCHING_FIELDS) as (keyof BatchingParameters)[]).filter((k) => !doc.has([BATCHING_FIELDS[k]]));
    config = { kind: 'batching', parameters: check.parameters, defaulted: defaulted.map((k) => BATCHING_FIELDS[k]) };
  }
  return { valid: errors.length === 0, errors, warnings, upstream: upstreamOf(file, errors, doc !== undefined), config };
}

function monitoringReport(file: string, text: string): Omit<FileReport, 'file' | 'kind' | 'kindSource' | 'type'> {
  const check = checkMonitoringConfigText(text, file);
  const { errors, warnings } = split(check.issues);
  let config: ValidatedConfig | null = null;
  if (check.config && check.doc) {
    const written = (check.doc.value['prometheus_config'] as Record<string, unknown> | undefined)?.['path'];
    config = { kind: 'monitoring', prometheus: { ...check.config.prometheus }, pathDefaulted: (written ?? '') === '' };
  }
  return { valid: errors.length === 0, errors, warnings, upstream: upstreamOf(file, errors, check.doc !== undefined), config };
}

function pemSummary(pem: string, what: string): string {
  if (pem === '') return '(not set)';
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----/g) ?? [];
  return `${what}: ${blocks.length} PEM block${blocks.length === 1 ? '' : 's'} (${Buffer.byteLength(pem)} bytes)`;
}

function sslReport(file: string, text: string): Omit<FileReport, 'file' | 'kind' | 'kindSource' | 'type'> {
  const check = checkSslConfigText(text, file);
  const { errors, warnings } = split(check.issues);
  let config: ValidatedConfig | null = null;
  const c: SslConfig | undefined = check.config;
  if (c) {
    config = {
      kind: 'ssl',
      serverKey: pemSummary(c.serverKey, 'private key'),
      serverCert: pemSummary(c.serverCert, 'certificate'),
      customCa: pemSummary(c.customCa, 'CA certificates'),
      clientVerify: c.clientVerify,
    };
  }
  return { valid: errors.length === 0, errors, warnings, upstream: upstreamOf(file, errors, check.doc !== undefined), config };
}

/** Checks one config text (as read from `file`); `kind` skips detection. */
export function validateConfigText(text: string, file: string, kind?: ConfigKind): FileReport {
  const detected: { kind: ConfigKind; source: KindSource } = kind ? { kind, source: 'flag' } : detectConfigKind(text, file);
  const body =
    detected.kind === 'model_config'
      ? modelReport(file, text)
      : detected.kind === 'batching'
        ? batchingReport(file, text)
        : detected.kind === 'monitoring'
          ? monitoringReport(file, text)
          : sslReport(file, text);
  return { file, kind: detected.kind, kindSource: detected.source, type: CONFIG_KIND_TYPES[detected.kind], ...body };
}

/** Reads and checks each file (an unreadable file is an error of its own, not a crash). */
export function validateConfigFiles(files: readonly string[], kind?: ConfigKind): ValidateReport {
  const reports = files.map((file): FileReport => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'No such file or directory' : code === 'EISDIR' ? 'Is a directory' : (e as Error).message;
      const k = kind ?? kindFromFileName(file) ?? 'model_config';
      const issue: ConfigIssue = { severity: 'error', file, line: 0, column: 0, message: `cannot read ${file}: ${reason}`, hint: 'Check the path.', path: '' };
      return { file, kind: k, kindSource: kind ? 'flag' : 'file name', type: CONFIG_KIND_TYPES[k], valid: false, errors: [issue], warnings: [], upstream: Errors.invalidProtobufFile(file).message, config: null };
    }
    return validateConfigText(text, file, kind);
  });
  const errorCount = reports.reduce((n, r) => n + r.errors.length, 0);
  const warningCount = reports.reduce((n, r) => n + r.warnings.length, 0);
  return { valid: errorCount === 0, errorCount, warningCount, files: reports };
}

function policyText(p: VersionPolicy): string {
  if (p.kind === 'all') return 'all versions';
  if (p.kind === 'specific') return `specific versions ${p.versions.join(', ')}`;
  return p.numVersions === 1 ? 'latest version' : `latest ${p.numVersions} versions`;
}

/** The human-readable description of what a valid file contains (no issues). */
export function describeConfig(report: FileReport): string[] {
  const c = report.config;
  if (!c) return [];
  const out: string[] = [];
  if (c.kind === 'model_config') {
    if (c.empty) out.push('  (empty config: a reload with it takes no action)');
    else if (c.models.length === 0) out.push('  (no models: a reload with it unloads every model)');
    for (const m of c.models) {
      out.push(`  model ${m.name}`);
      out.push(`    base path:      ${m.basePath}${m.basePath !== m.basePathWritten ? `  (written: ${m.basePathWritten})` : ''}`);
      out.push(`    platform:       ${m.modelPlatform}`);
      out.push(`    version policy: ${policyText(m.versionPolicy)}`);
      const labels = Object.entries(m.versionLabels);
      out.push(`    labels:         ${labels.length ? labels.map(([k, v]) => `${k} -> ${v}`).join(', ') : '(none)'}`);
      if (m.samplingRate !== undefined) out.push(`    request log sampling rate: ${m.samplingRate}`);
    }
  } else if (c.kind === 'batching') {
    const p = c.parameters;
    for (const key of Object.keys(BATCHING_FIELDS) as (keyof BatchingParameters)[]) {
      const field = BATCHING_FIELDS[key];
      const v = p[key];
      const shown = Array.isArray(v) ? (v.length ? `[${v.join(', ')}]` : '[] (any size)') : String(v);
      out.push(`  ${field.padEnd(28)} ${shown}${c.defaulted.includes(field) ? '  (default)' : ''}`);
    }
  } else if (c.kind === 'monitoring') {
    out.push(`  prometheus: ${c.prometheus.enable ? 'enabled' : 'disabled'}, path ${c.prometheus.path}${c.pathDefaulted ? ' (default)' : ''}`);
  } else {
    out.push(`  server_key:    ${c.serverKey}`);
    out.push(`  server_cert:   ${c.serverCert}`);
    out.push(`  custom_ca:     ${c.customCa}`);
    out.push(`  client_verify: ${c.clientVerify}`);
  }
  return out;
}
