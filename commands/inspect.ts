import { Args, Command, Flags } from '@oclif/core';
import { TfsError } from '../src/errors.js';
import { BACKEND_NAMES, type BackendName } from '../src/runtime/backend.js';

/** `tfs inspect <dir>`: what `saved_model_cli show` prints (logic in src/savedmodel/inspect.ts). */
export default class Inspect extends Command {
  static override summary = 'Show the tag sets, signatures, inputs and outputs of a SavedModel, as saved_model_cli show does.';

  static override description = `Without flags, prints what \`saved_model_cli show --dir <dir> --all\` prints: every MetaGraphDef, each SignatureDef with the dtype, shape and tensor name of its inputs and outputs and its method name, the ops the graph uses, and for TF2 models the concrete functions.
--tag_set alone lists the SignatureDef keys of that MetaGraphDef; --signature_def shows one signature (tag set serve unless --tag_set is given).
Pointed at a model base path (numeric version subdirectories), it lists the versions and shows the latest.
After that output comes an op-support section: per signature of each MetaGraphDef shown, the
operations the embedded runtime lacks (what a load would refuse), or "all ops supported".
--json prints the same information as one JSON document (schemas/cli/inspect.schema.json), the op support under "opSupport".`;

  static override examples = [
    '<%= config.bin %> inspect fixtures/models/half_plus_two/00000123',
    '<%= config.bin %> inspect fixtures/models/my_model --signature_def serving_default',
    '<%= config.bin %> inspect fixtures/models/my_model/2 --tag_set serve --json',
    `<%= config.bin %> inspect fixtures/models/half_plus_two/00000123 --run --signature_def serving_default --inputs '{"x": [[1.0], [2.0]]}'`,
    '<%= config.bin %> inspect fixtures/models/my_model --run --inputs @inputs.json --backend cpu',
  ];

  static override args = {
    dir: Args.string({ required: true, description: 'SavedModel directory, or a model base path with version subdirectories' }),
  };

  static override flags = {
    tag_set: Flags.string({ description: "comma-separated tag set of the MetaGraphDef to show (e.g. 'serve' or 'serve,gpu')" }),
    signature_def: Flags.string({ description: 'show only this SignatureDef key' }),
    all: Flags.boolean({ description: 'show everything (the default when neither --tag_set nor --signature_def is given)' }),
    json: Flags.boolean({ description: 'print a JSON document instead of text' }),
    run: Flags.boolean({
      description:
        'run --signature_def (default serving_default) on --inputs and print what REST columnar predict returns ({"outputs": ...}), like saved_model_cli run',
    }),
    inputs: Flags.string({
      description:
        'with --run: the columnar "inputs" value of a REST predict request, e.g. \'{"x": [[1.0], [2.0]]}\', or @file.json (omit it for a signature without inputs)',
      dependsOn: ['run'],
    }),
    backend: Flags.option({ options: BACKEND_NAMES, default: 'wasm' as BackendName, description: 'with --run: runtime backend' })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Inspect);
    if (flags.run) return this.runSignature(args.dir, flags);
    // Imported on use: oclif imports every command module at start-up, `tfs serve` included.
    const { inspect } = await import('../src/savedmodel/inspect.js');
    const { opSupport, opSupportLines } = await import('../src/commands-support/op-support.js');
    try {
      const result = inspect(args.dir, {
        ...(flags.tag_set !== undefined && !flags.all ? { tagSet: flags.tag_set } : {}),
        ...(flags.signature_def !== undefined && !flags.all ? { signatureDef: flags.signature_def } : {}),
      });
      // Op support: the freezer a load runs, on each MetaGraphDef shown.
      const support = result.report.metaGraphs.map((mg) => opSupport(result.report.dir, mg.tags));
      if (flags.json) this.log(JSON.stringify({ ...result.report, opSupport: support }, null, 2));
      else process.stdout.write(result.text + opSupportLines(support, flags.all ? undefined : flags.signature_def).join('\n') + '\n');
    } catch (err) {
      if (!(err instanceof TfsError)) throw err;
      process.exitCode = 1;
      if (flags.json) {
        // --json callers parse stdout: the error is a JSON document too (oclif's shape).
        const error = { code: err.codeName, id: err.id, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
        this.log(JSON.stringify({ error }, null, 2));
        return;
      }
      // Unwrapped, so the upstream text stays greppable; exit 1 as saved_model_cli does.
      this.logToStderr(`Error: ${err.message}`);
      if (err.hint) this.logToStderr(err.hint);
      process.exitCode = 1;
    }
  }

  /** `--run`: the logic is in src/runtime/inspect-run.ts. */
  private async runSignature(
    dir: string,
    flags: { signature_def?: string | undefined; inputs?: string | undefined; tag_set?: string | undefined; backend: BackendName },
  ): Promise<void> {
    try {
      const { inspectRun } = await import('../src/servables/inspect-run.js');
      const out = await inspectRun({
        dir,
        ...(flags.inputs !== undefined ? { inputs: flags.inputs } : {}),
        backend: flags.backend,
        ...(flags.signature_def !== undefined ? { signatureDef: flags.signature_def } : {}),
        ...(flags.tag_set !== undefined ? { tags: flags.tag_set.split(',').map((t) => t.trim()) } : {}),
      });
      process.stdout.write(`${out}\n`);
    } catch (err) {
      if (!(err instanceof TfsError)) throw err;
      this.logToStderr(`Error: ${err.message}`);
      if (err.hint) this.logToStderr(err.hint);
      process.exitCode = 1;
    }
  }
}
