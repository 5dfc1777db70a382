import { Args, Command, Flags } from '@oclif/core';
import { CONFIG_KINDS, formatIssue, type ConfigIssue, type ConfigKind } from '../src/config/validation.js';
import { describeConfig, validateConfigFiles, type ValidateReport } from '../src/config/validate-files.js';

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
valid, 1 otherwise. --json prints the report documented by schemas/cli/validate.schema.json.`;

  static override examples = [
    '<%= config.bin %> validate models.config',
    '<%= config.bin %> validate models.config batching.config monitoring.config',
    '<%= config.bin %> validate --kind batching batching_params.pbtxt',
    '<%= config.bin %> validate --json models.config',
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
  };

  async run(): Promise<ValidateReport> {
    const { argv, flags } = await this.parse(Validate);
    const files = argv as string[];
    const report = validateConfigFiles(files, flags.kind as ConfigKind | undefined);
    if (!report.valid) process.exitCode = 1;
    if (this.jsonEnabled()) return report;

    for (const f of report.files) {
      const how = f.kindSource === 'flag' ? '--kind' : `detected from ${f.kindSource}`;
      this.log(`${f.file}: ${f.type} (${f.kind}, ${how}): ${f.valid ? 'valid' : 'INVALID'}`);
      for (const line of describeConfig(f)) this.log(line);
      for (const w of f.warnings) for (const line of issueLines(w)) this.logToStderr(line);
      for (const e of f.errors) for (const line of issueLines(e)) this.logToStderr(line);
      if (f.upstream !== null) {
        this.log(`  tensorflow_model_server would fail with: ${f.upstream}`);
      }
    }
    const n = report.files.length;
    const bad = report.files.filter((f) => !f.valid).length;
    const counts = `${report.errorCount} error${report.errorCount === 1 ? '' : 's'}, ${report.warningCount} warning${report.warningCount === 1 ? '' : 's'}`;
    this.log(bad === 0 ? `${n} file${n === 1 ? '' : 's'} valid (${counts})` : `${bad} of ${n} file${n === 1 ? '' : 's'} invalid (${counts})`);
    return report;
  }
}
