/**
 * Plain-object shapes of the tensorflow.serving messages that carry tf.Examples in and
 * results out (Input, ClassificationResult, RegressionResult), as protobufjs
 * `toObject`/`fromObject` use them. They sit here, below every user, because the JSON
 * codec (json-tensor.ts), the servables and the gRPC front end all speak them.
 */
/** A tensorflow.Example as a plain object (protobufjs fromObject/toObject form, snake_case). */
export type ExampleObj = Record<string, unknown>;

/** tensorflow.serving.Input as a plain object. `{}` (no kind set) counts as empty. */
export type InputObj =
  | { example_list: { examples?: readonly ExampleObj[] | null } }
  | { example_list_with_context: { examples?: readonly ExampleObj[] | null; context?: ExampleObj | null } }
  | Record<string, never>;

export interface ClassObj {
  label: string;
  score: number;
}
export interface ClassificationResultObj {
  classifications: { classes: ClassObj[] }[];
}
export interface RegressionResultObj {
  regressions: { value: number }[];
}

