/**
 * The bridge from the SavedModel reader (src/savedmodel) to the freezer: a
 * {@link FreezeSource} over a {@link LoadedSavedModel}, opening the checkpoint lazily
 * (models without variables never touch it).
 */
import { Errors } from '../errors.js';
import type { LoadedSavedModel } from '../savedmodel/saved-model.js';
import type { TensorBundle } from '../savedmodel/tensor-bundle.js';
import { parseShapeAndSlice, type SliceSpec } from '../savedmodel/tensor-slice.js';
import type { FreezeSource } from './freeze/index.js';

export function freezeSourceOf(model: LoadedSavedModel): FreezeSource {
  let bundle: TensorBundle | null | undefined;
  const open = (): TensorBundle | null => {
    if (bundle === undefined) bundle = model.openVariables();
    return bundle;
  };
  return {
    exportDir: model.dir,
    metaGraph: model.metaGraph,
    signatures: model.signatures,
    assets: model.assetFileDefs.map((a) => ({ tensorName: a.tensorName, path: a.path })),
    hasVariable: (key) => open()?.has(key) ?? false,
    readVariable: (key, slice) => {
      const b = open();
      if (!b) throw Errors.checkpointKeyNotFound(key, `${model.dir}/variables/variables`);
      if (!slice) return b.read(key);
      let spec: SliceSpec | null;
      try {
        spec = parseShapeAndSlice(slice);
      } catch (err) {
        throw Errors.corruptModelFile(`${model.dir}/saved_model.pb`, `RestoreV2 of "${key}": ${(err as Error).message}`);
      }
      return b.readSlice(key, spec);
    },
    trackableObjectGraph: () => open()?.objectGraph() ?? null,
  };
}
