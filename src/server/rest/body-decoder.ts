/**
 * Big REST predict bodies are decoded off the event loop: a small pool of worker threads
 * (decode-worker.ts) parses the JSON and builds the input tensors (and encodes big
 * answers), so `/healthz`, probes and
 * small requests keep answering while a 100 MB body is decoded. Bodies under the threshold
 * are decoded inline (a worker round trip costs more than parsing them).
 *
 * A job has two steps, as the inline path: `parse` (JSON errors and `signature_name`, before
 * the model is looked up, as upstream) and then `inputs(specs)` once the signature is known;
 * a job whose request failed in between is dropped. A worker that dies (out of memory)
 * fails its jobs with INTERNAL and is replaced on the next job.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Errors, TfsError } from '../../errors.js';
import type { PredictJsonInputs } from '../../tensor/json-tensor.js';
import { requestLimits } from '../../tensor/limits.js';
import type { Tensor, TensorData, TensorSpec } from '../../tensor/tensor.js';
import type { DecodeReply, DecodeRequest } from './decode-worker.js';

/** Answers with at least this many elements are encoded to JSON in a worker (~0.1–0.2 s of encoding inline). */
export const WORKER_ENCODE_ELEMENTS = 64 * 1024;

/** Default `--rest_api_worker_decode_bytes`: at ~4 ms per 100 KB inline, 256 KiB holds the loop ~10 ms at most. */
export const DEFAULT_WORKER_DECODE_BYTES = 256 * 1024;

export interface DecodeJob {
  /** `signature_name` of the body ('' when absent). */
  readonly signatureName: string;
  /** The input tensors for the signature's inputs (errors as the inline path). */
  inputs(specs: Readonly<Record<string, TensorSpec>>): Promise<PredictJsonInputs>;
  /** Forget the parsed body (the request failed before its inputs were needed). Idempotent. */
  drop(): void;
}

interface Pending {
  resolve(reply: DecodeReply): void;
  reject(err: unknown): void;
}

/**
 * A decode thread with nothing to do for this long is stopped, which gives its heap (a
 * parsed 100 MB body takes GBs) back to the system; the next big body starts a new one.
 */
const IDLE_STOP_MS = 5_000;

class DecodeThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** Jobs parsed here and not yet converted or dropped (their documents live in the worker). */
  open = 0;
  dead = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.worker = new Worker(new URL('./decode-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (reply: DecodeReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
      this.maybeIdle();
    });
    const fail = (err: unknown): void => {
      this.dead = true;
      const reason = err instanceof Error ? err.message : String(err);
      for (const p of this.pending.values()) p.reject(Errors.internal(`The request body decoder failed: ${reason}`));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  }

  /** Arms the idle stop when nothing runs or waits here. */
  maybeIdle(): void {
    if (this.dead || this.pending.size > 0 || this.open > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.dead = true;
      void this.worker.terminate();
    }, IDLE_STOP_MS);
    this.idleTimer.unref();
  }

  ask(msg: DecodeRequest, transfer: ArrayBuffer[] = []): Promise<DecodeReply> {
    if (this.dead) return Promise.reject(Errors.internal('The request body decoder failed: worker gone'));
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
  }
}

function unwrap<T extends DecodeReply>(reply: DecodeReply): T {
  if ('error' in reply) throw TfsError.revive(reply.error);
  return reply as T;
}

/** The body's bytes in an ArrayBuffer of their own, ready to transfer (copied only when shared). */
function ownBytes(body: Uint8Array): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  const whole = body.buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  const bytes = whole ? body : new Uint8Array(body);
  return { bytes, transfer: [bytes.buffer as ArrayBuffer] };
}

export class BigBodyDecoder {
  private readonly threads: (DecodeThread | undefined)[];
  private nextId = 1;

  constructor(
    /** Bodies of at least this many bytes go to a worker; 0 = never. */
    readonly thresholdBytes: number = DEFAULT_WORKER_DECODE_BYTES,
    size: number = Math.max(1, Math.min(4, availableParallelism() - 1)),
  ) {
    this.threads = Array.from({ length: size }, () => undefined);
  }

  /** Whether a body of this size is decoded in a worker. */
  wants(byteLength: number): boolean {
    return this.thresholdBytes > 0 && byteLength >= this.thresholdBytes;
  }

  /** Whether {@link encode} would encode these outputs in a worker (a sync check, so small answers skip an await). */
  wantsEncode(outputs: Readonly<Record<string, Tensor>>): boolean {
    if (this.thresholdBytes <= 0) return false;
    let elements = 0;
    for (const k in outputs) elements += outputs[k]!.data.length;
    return elements >= WORKER_ENCODE_ELEMENTS;
  }

  /** The least busy live thread (started on first use, replaced when it died). */
  private thread(): DecodeThread {
    let best = 0;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (!t || t.dead) {
        this.threads[i] = new DecodeThread();
        return this.threads[i]!;
      }
      if (t.pending.size < this.threads[best]!.pending.size) best = i;
    }
    return this.threads[best]!;
  }

  /** Parse `body` in a worker. The body's buffer is handed over (detached) when it is its own. */
  async parse(body: Uint8Array): Promise<DecodeJob> {
    const t = this.thread();
    const id = this.nextId++;
    const { bytes, transfer } = ownBytes(body);
    const reply = await t.ask({ op: 'parse', id, body: bytes, limits: requestLimits() }, transfer);
    if ('error' in reply) {
      t.maybeIdle();
      throw TfsError.revive(reply.error);
    }
    const parsed = reply as { id: number; signatureName: string };
    t.open++;
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      t.open--;
    };
    return {
      signatureName: parsed.signatureName,
      inputs: async (specs) => {
        close();
        // TensorSpecs as plain fields (a servable's may carry more than the worker needs).
        const plain: Record<string, TensorSpec> = {};
        for (const [k, s] of Object.entries(specs)) plain[k] = { name: s.name, dtype: s.dtype, shape: s.shape };
        const r = unwrap<{ id: number; inputs: PredictJsonInputs['inputs']; format: PredictJsonInputs['format'] }>(
          await t.ask({ op: 'convert', id, specs: plain }),
        );
        return { inputs: r.inputs, format: r.format };
      },
      drop: () => {
        if (!open) return;
        close();
        if (!t.dead) t.worker.postMessage({ op: 'drop', id } satisfies DecodeRequest);
        t.maybeIdle();
      },
    };
  }

  /**
   * The predict answer's JSON (predictResponseJson), encoded in a worker when it is big and
   * workers are on; undefined = encode it inline. Numeric buffers are copied out first (an
   * output may be a view of a larger buffer) and the copies handed over.
   */
  async encode(outputs: Readonly<Record<string, Tensor>>, format: 'row' | 'columnar'): Promise<string | undefined> {
    if (!this.wantsEncode(outputs)) return undefined;
    const copies: Record<string, Tensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [k, t] of Object.entries(outputs)) {
      if (Array.isArray(t.data)) {
        copies[k] = t;
        continue;
      }
      const data = (t.data as Exclude<TensorData, Uint8Array[]>).slice();
      transfer.push(data.buffer as ArrayBuffer);
      copies[k] = { dtype: t.dtype, shape: t.shape, data };
    }
    const t = this.thread();
    const reply = await t.ask({ op: 'encode', id: this.nextId++, outputs: copies, format }, transfer);
    t.maybeIdle();
    return unwrap<{ id: number; json: string }>(reply).json;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    const live = this.threads.filter((t): t is DecodeThread => t !== undefined && !t.dead);
    for (const t of live) t.dead = true;
    this.threads.fill(undefined);
    await Promise.all(live.map((t) => t.worker.terminate()));
  }
}
