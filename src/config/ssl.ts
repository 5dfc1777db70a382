/**
 * SSLConfig (--ssl_config_file): PEM contents (not paths) for the gRPC listener
 * (tfserving-spec.md §3.8).
 */
import { lookupType } from '../proto/root.js';
import type { SslConfig } from './types.js';
import type { TextFormatDocument } from '../proto/text-format.js';
import { ConfigError, jsonView, schemaIssues, sortIssues, type ConfigIssue, type IssueSource } from './validation.js';
import { configDocumentOrFailure, parseConfigDocument, readConfigFile } from './model-server-config.js';

const TYPE_NAME = 'tensorflow.serving.SSLConfig';

export interface SslConfigCheck {
  readonly config: SslConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly doc?: TextFormatDocument;
}

/** Validates and normalises a parsed SSLConfig (toObject shape). */
export function checkSslConfig(obj: Record<string, unknown>, source: IssueSource): SslConfigCheck {
  const view = jsonView(lookupType(TYPE_NAME), obj);
  const issues: ConfigIssue[] = [...schemaIssues('ssl', view, source)];
  if (source.doc) {
    for (const w of source.doc.warnings) issues.push({ severity: 'warning', file: source.file, line: w.line, column: w.column, message: w.message, path: '' });
  }
  sortIssues(issues);
  const ok = !issues.some((i) => i.severity === 'error');
  const str = (k: string): string => (typeof view[k] === 'string' ? (view[k] as string) : '');
  const config: SslConfig | undefined = ok
    ? Object.freeze({ serverKey: str('server_key'), serverCert: str('server_cert'), customCa: str('custom_ca'), clientVerify: view['client_verify'] === true })
    : undefined;
  return source.doc ? { config, issues, doc: source.doc } : { config, issues };
}

/** Parses and checks text; parse errors become issues (never throws for bad input). */
export function checkSslConfigText(text: string, file: string): SslConfigCheck {
  const doc = configDocumentOrFailure('ssl', text, file);
  if (doc instanceof ConfigError) return { config: undefined, issues: doc.issues };
  return checkSslConfig(doc.value, { file, doc });
}

/** Parses a text-format SSLConfig. Throws {@link ConfigError}. */
export function parseSslConfig(text: string, file: string): SslConfig {
  const doc = parseConfigDocument('ssl', text, file);
  const check = checkSslConfig(doc.value, { file, doc });
  if (check.config) return check.config;
  throw new ConfigError('ssl', file, check.issues);
}

/** Reads and parses a --ssl_config_file. */
export function loadSslConfig(file: string): SslConfig {
  return parseSslConfig(readConfigFile('ssl', file), file);
}
