import { Command, Flags } from '@oclif/core';
import { TfsError } from '../../src/errors.js';

export default class NativeInstall extends Command {
  static override summary = 'Build the native addon that runs SavedModels in TensorFlow\'s own runtime (tfs serve --runtime tensorflow).';

  static override description = [
    'Finds TensorFlow on this machine (a pip-installed tensorflow or tensorflow-cpu wheel in --python, or a libtensorflow folder with --libtensorflow / LIBTENSORFLOW_DIR) and compiles native/tfs_native.cc against it with g++ and the Node-API headers of the node-api-headers package. Nothing is downloaded.',
    'The addon goes to $TFS_NATIVE_DIR (default ~/.cache/tfs/native), where tfs serve --runtime tensorflow|auto looks for it. Prints the TensorFlow version, its devices and the addon path.',
  ].join('\n\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --python ~/venv-tf/bin/python',
    '<%= config.bin %> <%= command.id %> --libtensorflow /opt/libtensorflow',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    python: Flags.string({ summary: 'Python whose tensorflow / tensorflow-cpu wheel to build against. [default: $TFS_PYTHON, else python3]' }),
    libtensorflow: Flags.string({ summary: 'libtensorflow folder (include/, lib/libtensorflow.so.2) instead of a Python wheel. [default: $LIBTENSORFLOW_DIR]' }),
    out: Flags.string({ summary: 'Where to put the addon. [default: $TFS_NATIVE_DIR, else ~/.cache/tfs/native]' }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(NativeInstall);
    // Imported on use: oclif imports every command module at start-up, `tfs serve` included.
    const { buildAddon, findTensorflow } = await import('../../src/native/install.js');
    try {
      const tf = findTensorflow({ python: flags.python, libtensorflow: flags.libtensorflow });
      this.log(`TensorFlow: ${tf.source}`);
      const info = buildAddon({ tf, ...(flags.out ? { outDir: flags.out } : {}) });
      const gpu = info.devices.some((d) => d.startsWith('GPU'));
      this.log(`TensorFlow ${info.tensorflowVersion} (${gpu ? 'GPU' : 'CPU only'}): ${info.devices.join(', ')}`);
      this.log(`addon: ${info.addon}`);
      return { ...info, gpu };
    } catch (e) {
      if (e instanceof TfsError) this.error(e.message, { exit: 1 });
      throw e;
    }
  }
}
