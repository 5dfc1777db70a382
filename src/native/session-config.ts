/**
 * The tensorflow.ConfigProto a native session is created with, serialised by hand (the
 * wire format of the five fields tfs sets; TF_SetConfig takes the bytes):
 *
 * | field                                   | number | wire     |
 * |-----------------------------------------|--------|----------|
 * | intra_op_parallelism_threads            | 2      | varint   |
 * | inter_op_parallelism_threads            | 5      | varint   |
 * | gpu_options (GPUOptions)                | 6      | length   |
 * |   per_process_gpu_memory_fraction       | 1      | fixed64  |
 * |   allow_growth                          | 4      | varint   |
 * | allow_soft_placement                    | 7      | varint   |
 * | experimental (ConfigProto.Experimental) | 16     | length   |
 * |   disable_thread_spinning               | 9      | varint   |
 *
 * Threads follow tensorflow_model_server's server.cc: --tensorflow_intra_op_parallelism and
 * --tensorflow_inter_op_parallelism when either is set, else --tensorflow_session_parallelism
 * for both (0 = TensorFlow sizes its pools from the cores). Soft placement is always on, so
 * graphs exported with `/device:GPU:0` pins load on a CPU-only TensorFlow.
 *
 * `threadSpinning: false` sets Experimental.disable_thread_spinning: the session's intra-op
 * (Eigen) and inter-op pools then park their threads at once when they run out of work,
 * instead of spinning a while first. TensorFlow spins by default (lower latency when runs
 * follow each other closely); a server whose runs are short and spaced, on a few cores
 * shared with its own request thread, pays for each spin in CPU (bench/native-served.mjs).
 */
export interface SessionConfigOptions {
  readonly sessionParallelism?: number;
  readonly intraOpParallelism?: number;
  readonly interOpParallelism?: number;
  /** 0 = TensorFlow's default (all GPU memory); (0, 1] = that fraction per process. */
  readonly perProcessGpuMemoryFraction?: number;
  /** GPUOptions.allow_growth (allocate GPU memory as needed). */
  readonly allowGrowth?: boolean;
  /** false = Experimental.disable_thread_spinning (TensorFlow's default is to spin). */
  readonly threadSpinning?: boolean;
}

function varint(out: number[], value: number): void {
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** The intra/inter-op thread counts the session gets, as upstream picks them. */
export function sessionThreads(o: SessionConfigOptions): { intra: number; inter: number } {
  const intra = o.intraOpParallelism ?? 0;
  const inter = o.interOpParallelism ?? 0;
  if (intra > 0 || inter > 0) return { intra, inter };
  const both = o.sessionParallelism ?? 0;
  return { intra: both, inter: both };
}

/** The serialised ConfigProto. */
export function sessionConfigBytes(o: SessionConfigOptions = {}): Uint8Array {
  const out: number[] = [];
  const { intra, inter } = sessionThreads(o);
  if (intra > 0) {
    out.push(tag(2, 0));
    varint(out, intra);
  }
  if (inter > 0) {
    out.push(tag(5, 0));
    varint(out, inter);
  }
  const gpu: number[] = [];
  const fraction = o.perProcessGpuMemoryFraction ?? 0;
  if (fraction > 0) {
    gpu.push(tag(1, 1));
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, fraction, true);
    gpu.push(...b);
  }
  if (o.allowGrowth) gpu.push(tag(4, 0), 1);
  if (gpu.length > 0) {
    out.push(tag(6, 2));
    varint(out, gpu.length);
    out.push(...gpu);
  }
  out.push(tag(7, 0), 1);
  if (o.threadSpinning === false) {
    varint(out, tag(16, 2)); // field 16: a two-byte key
    out.push(2, tag(9, 0), 1);
  }
  return Uint8Array.from(out);
}
