/**
 * MonitoringConfig (--monitoring_config_file): prometheus_config { enable, path }; an empty
 * path means `/monitoring/prometheus/metrics` (upstream prometheus_exporter.cc).
 */
import { lookupType } from '../proto/root.js';
import type { MonitoringConfig } from './types.js';
import type { TextFormatDocument } from '../proto/text-format.js';
import { ConfigError, jsonView, schemaIssues, sortIssues, type ConfigIssue, type IssueSource } from './validation.js';
import { configDocumentOrFailure, parseConfigDocument, readConfigFile } from './model-server-config.js';

const TYPE_NAME = 'tensorflow.serving.MonitoringConfig';

/** Where Prometheus metrics are served when the config gives no path. */
export const DEFAULT_PROMETHEUS_PATH = '/monitoring/prometheus/metrics';

export interface MonitoringConfigCheck {
  readonly config: MonitoringConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly doc?: TextFormatDocument;
}

/** Validates and normalises a parsed MonitoringConfig (toObject shape). */
export function checkMonitoringConfig(obj: Record<string, unknown>, source: IssueSource): MonitoringConfigCheck {
  const view = jsonView(lookupType(TYPE_NAME), obj);
  const issues: ConfigIssue[] = [...schemaIssues('monitoring', view, source)];
  if (source.doc) {
    for (const w of source.doc.warnings) issues.push({ severity: 'warning', file: source.file, line: w.line, column: w.column, message: w.message, path: '' });
  }
  sortIssues(issues);
  const prom = (view['prometheus_config'] ?? {}) as Record<string, unknown>;
  const path = typeof prom['path'] === 'string' && prom['path'] !== '' ? prom['path'] : DEFAULT_PROMETHEUS_PATH;
  const ok = !issues.some((i) => i.severity === 'error');
  const config: MonitoringConfig | undefined = ok ? Object.freeze({ prometheus: Object.freeze({ enable: prom['enable'] === true, path }) }) : undefined;
  return source.doc ? { config, issues, doc: source.doc } : { config, issues };
}

/** Parses and checks text; parse errors become issues (never throws for bad input). */
export function checkMonitoringConfigText(text: string, file: string): MonitoringConfigCheck {
  const doc = configDocumentOrFailure('monitoring', text, file);
  if (doc instanceof ConfigError) return { config: undefined, issues: doc.issues };
  return checkMonitoringConfig(doc.value, { file, doc });
}

/** Parses a text-format MonitoringConfig. Throws {@link ConfigError}. */
export function parseMonitoringConfig(text: string, file: string): MonitoringConfig {
  const doc = parseConfigDocument('monitoring', text, file);
  const check = checkMonitoringConfig(doc.value, { file, doc });
  if (check.config) return check.config;
  throw new ConfigError('monitoring', file, check.issues);
}

/** Reads and parses a --monitoring_config_file. */
export function loadMonitoringConfig(file: string): MonitoringConfig {
  return parseMonitoringConfig(readConfigFile('monitoring', file), file);
}
