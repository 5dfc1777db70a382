import { Args, Command, Flags } from '@oclif/core';
import { CONFIG_KINDS, formatIssue, type ConfigIssue, type ConfigKind } from '../src/config/validation.js';
import type { FileReport, ValidateReport } from '../src/config/validate-files.js';
import type { ModelConfig } from '../src/config/types.js';
import type { ModelCheck } from '../src/commands-support/check-models.js';
import { BACKEND_NAMES, type BackendName } from '../src/runtime/backend.js';

/** The models of each valid model config file, checked as serve loads them (--check-models). */
async function checkFiles(
  files: readonly FileReport[],
  flags: { backend: BackendName; saved_model_tags: string; refuse_partial_models: boolean },
): Promise<{ file: string; models: ModelCheck[] }[]> {
  const { checkModels } = await import('../src/commands-support/check-models.js');
  const tags = flags.saved_model_tags.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const out: { file: string; models: ModelCheck[] }[] = [];
  for (const f of files) {
    if (!f.valid || f.config?.kind !== 'model_config') continue;
    out.push({ file: f.file, models: await checkModels(f.config.models as ModelConfig[], { backend: flags.backend, tags, refusePartialModels: flags.refuse_partial_models }) });
  }
  return out;
}

function issueLines(issue: ConfigIssue): string[] {
  return issue.hint ? [formatIssue(issue), `  fix: ${issue.hint}`] : [formatIssue(issue)];
}

export default class Validate extends Command {
  static override summary = 'Check TensorFlow Serving config files; errors as file:line:column.';

  static override description = `Reads each file as tensorflow_model_server would (protobuf text format) and checks the
rules it applies: --model_config_file (ModelServerConfig), --batching_parameters_file
(BatchingParameters), --monitoring_config_file (MonitoringConfig) and --ssl_config_file
(SSLConfig). The kind of each file is detected from its content (or given with --kind).
Prints what it understood (models, base paths, version policies, labels; batching
parameters with their defaults filled in), then every error and warning as
file:line:column: message, with a line saying how to fix it. Exits 0 when every file is
valid, 1 otherwise. --json prints the report documented by schemas/cli/validate.schema.json.
--check-models also loads every model each model config names, every version its policy
selects, as tfs serve would at start-up (the runtime, then the warmup file), without
serving; a model that would fail is reported with serve's error text and makes the exit 1.
A version that loads without some signatures (the runtime lacks their ops; serve answers
UNIMPLEMENTED for them) is listed with the signatures it serves and those it does not.`;

  static override examples = [
    '<%= config.bin %> validate models.config',
    '<%= config.bin %> validate models.config batching.config monitoring.config',
    '<%= config.bin %> validate --kind batching batching_params.pbtxt',
    '<%= config.bin %> validate --json models.config',
    '<%= config.bin %> validate --check-models models.config',
  ];

  static override enableJsonFlag = true;

  static override strict = false;

  static override args = {
    file: Args.string({ description: 'config file(s) to check', required: true }),
  };

  static override flags = {
    kind: Flags.option({
      description: 'read every file as this kind instead of detecting it',
      options: CONFIG_KINDS,
    })(),
    'check-models': Flags.boolean({ description: 'also load every model (all versions its policy selects) as tfs serve would, without serving' }),
    backend: Flags.option({ options: BACKEND_NAMES, default: 'auto' as BackendName, description: 'with --check-models: runtime backend, as serve --backend' })(),
    saved_model_tags: Flags.string({ default: 'serve', description: 'with --check-models: tag set to load, as serve --saved_model_tags' }),
    refuse_partial_models: Flags.boolean({
      default: false,
      description: 'with --check-models: a model fails when any signature needs an op the runtime lacks, as serve --refuse_partial_models',
    }),
  };

  async run(): Promise<ValidateReport & { modelChecks?: { file: string; models: ModelCheck[] }[] }> {
    const { argv, flags } = await this.parse(Validate);
    const files = argv as string[];
    // Imported on use: oclif imports every command module at start-up, `tfs serve` included.
    const { describeConfig, validateConfigFiles } = await import('../src/config/validate-files.js');
    const report = validateConfigFiles(files, flags.kind as ConfigKind | undefined);
    const modelChecks = flags['check-models'] ? await checkFiles(report.files, flags) : undefined;
    const modelsOk = modelChecks?.every((c) => c.models.every((m) => m.ok)) ?? true;
    if (!report.valid || !modelsOk) process.exitCode = 1;
    if (this.jsonEnabled()) return modelChecks ? { ...report, valid: report.valid && modelsOk, modelChecks } : report;

    for (const f of report.files) {
      const how = f.kindSource === 'flag' ? '--kind' : `detected from ${f.kindSource}`;
      this.log(`${f.file}: ${f.type} (${f.kind}, ${how}): ${f.valid ? 'valid' : 'INVALID'}`);
      for (const line of describeConfig(f)) this.log(line);
      for (const w of f.warnings) for (const line of issueLines(w)) this.logToStderr(line);
      for (const e of f.errors) for (const line of issueLines(e)) this.logToStderr(line);
      if (f.upstream !== null) {
        this.log(`  tensorflow_model_server would fail with: ${f.upstream}`);
      }
      await this.printChecks(modelChecks?.find((c) => c.file === f.file)?.models);
    }
    const n = report.files.length;
    const bad = report.files.filter((f) => !f.valid).length;
    const counts = `${report.errorCount} error${report.errorCount === 1 ? '' : 's'}, ${report.warningCount} warning${report.warningCount === 1 ? '' : 's'}`;
    this.log(bad === 0 ? `${n} file${n === 1 ? '' : 's'} valid (${counts})` : `${bad} of ${n} file${n === 1 ? '' : 's'} invalid (${counts})`);
    if (modelChecks) {
      const models = modelChecks.flatMap((c) => c.models);
      const failed = models.filter((m) => !m.ok).length;
      this.log(failed === 0 ? `${models.length} model${models.length === 1 ? '' : 's'} load` : `${failed} of ${models.length} model${models.length === 1 ? '' : 's'} would fail to load`);
    }
    return report;
  }

  /** --check-models: what each model did, errors on stderr. */
  private async printChecks(models: ModelCheck[] | undefined): Promise<void> {
    if (!models) return;
    const { modelCheckLines } = await import('../src/commands-support/check-models.js');
    const lines = modelCheckLines(models);
    for (const l of lines.out) this.log(l);
    for (const l of lines.err) this.logToStderr(l);
  }
}
