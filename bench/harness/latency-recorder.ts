/**
 * A latency recorder on an HDR histogram: records nanoseconds (3 significant digits, so a value
 * is kept to within 0.1 %), reports microseconds. Recording is O(1) and allocation-free, so it
 * can sit on a hot loop; the summary is computed once, at the end of a run.
 */
import * as hdr from 'hdr-histogram-js';

/** The figures every latency in a result is reported with; all in microseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

const nsPerUs = 1000;

export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });

  /** Records one latency; negative values (clock skew between stamps) count as zero. */
  recordNs(latencyNs: number): void {
    this.histogram.recordValue(latencyNs > 0 ? Math.round(latencyNs) : 0);
  }

  /** Forgets everything recorded, for the end of a warm-up. */
  reset(): void {
    this.histogram.reset();
  }

  /** Everything recorded, as a string that can cross a thread (HDR's compressed encoding). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  /** Adds what another recorder (in another thread) recorded, from its `encode()`. */
  addEncoded(encoded: string): void {
    this.histogram.add(hdr.decodeFromCompressedBase64(encoded));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const histogram = this.histogram;
    if (histogram.totalCount === 0) {
      return { count: 0, p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0 };
    }
    return {
      count: histogram.totalCount,
      p50Us: histogram.getValueAtPercentile(50) / nsPerUs,
      p99Us: histogram.getValueAtPercentile(99) / nsPerUs,
      p999Us: histogram.getValueAtPercentile(99.9) / nsPerUs,
      maxUs: histogram.maxValue / nsPerUs,
      meanUs: histogram.mean / nsPerUs,
    };
  }
}
