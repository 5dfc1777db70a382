/**
 * Timeout signals for `--rest_api_timeout_in_ms`, shared between requests.
 *
 * Creating an AbortSignal costs several microseconds in Node 20 (more than the rest of a
 * small predict's bookkeeping), so requests do not get one each: requests whose deadlines
 * fall in the same small window share one signal, aborted (reason: a `TimeoutError`
 * DOMException, which the predict layer maps to DEADLINE_EXCEEDED) when the window closes.
 * A deadline therefore fires between `timeoutMs` and `timeoutMs + granularity` after the
 * request, where the granularity is 1% of the timeout (at least 1 ms, at most 50 ms).
 */
import { setMaxListeners } from 'node:events';

export class DeadlineSignals {
  private readonly buckets = new Map<number, { ac: AbortController; timer: NodeJS.Timeout }>();

  /** A signal that aborts `timeoutMs` (plus at most the granularity) from now. */
  signal(timeoutMs: number): AbortSignal {
    const granularity = Math.min(50, Math.max(1, Math.floor(timeoutMs / 100)));
    const now = performance.now();
    const due = Math.ceil((now + timeoutMs) / granularity) * granularity;
    let bucket = this.buckets.get(due);
    if (!bucket) {
      const ac = new AbortController();
      // Every request in the window listens on the same signal.
      setMaxListeners(0, ac.signal);
      const timer = setTimeout(() => {
        this.buckets.delete(due);
        ac.abort(new DOMException('The REST API timeout expired', 'TimeoutError'));
      }, due - now);
      timer.unref();
      bucket = { ac, timer };
      this.buckets.set(due, bucket);
    }
    return bucket.ac.signal;
  }

  /** Drop every pending timer (server shutdown). */
  close(): void {
    for (const b of this.buckets.values()) clearTimeout(b.timer);
    this.buckets.clear();
  }
}
