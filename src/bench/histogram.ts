/**
 * Latency recording for `tfs bench`: an HDR histogram (hdr-histogram-js) of microseconds,
 * 3 significant digits, up to one hour, so percentiles are exact to 0.1% at any scale.
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  /** Milliseconds. */
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}

const HIGHEST_MICROS = 3_600_000_000;

export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor(from?: string) {
    this.h = from
      ? hdr.decodeFromCompressedBase64(from)
      : hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_MICROS, numberOfSignificantValueDigits: 3 });
  }

  /** Record one latency in microseconds (clamped to [1, 1 hour]). */
  record(micros: number): void {
    this.h.recordValue(Math.min(HIGHEST_MICROS, Math.max(1, Math.round(micros))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Latency at a percentile (0..100), in milliseconds. */
  percentileMs(p: number): number {
    return this.count === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    return {
      min: empty ? 0 : this.h.minNonZeroValue / 1000,
      mean: empty ? 0 : this.h.mean / 1000,
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: empty ? 0 : this.h.maxValue / 1000,
      count: this.count,
    };
  }

  /** Points of the percentile distribution (HdrHistogram's plot: x = 1/(1-p)), for reports. */
  percentileCurve(): Array<{ percentile: number; ms: number }> {
    const out: Array<{ percentile: number; ms: number }> = [];
    if (this.count === 0) return out;
    for (const p of [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100]) {
      out.push({ percentile: p, ms: this.percentileMs(p) });
    }
    return out;
  }

  /** Compressed base64 encoding (HdrHistogram's standard), kept in --json output for later comparison. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }
}
