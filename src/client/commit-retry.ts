/**
 * Tries a failed automatic commit again, after 100 ms doubling to 5 s, until one succeeds
 * (embedded and remote consumers alike). Without it a partition whose last records were
 * processed while a commit failed (a rebalance fenced it, the disk was full, the coordinator was
 * busy) would keep its old committed offset until a new record came, and the group's lag would
 * never reach zero.
 */
import { autoCommitRetryDelayMsMax, autoCommitRetryDelayMsMin } from '../constants.js';

export class CommitRetry {
  private timer: NodeJS.Timeout | undefined;
  private delayMs = autoCommitRetryDelayMsMin;

  /**
   * `commit` starts a background commit of what was processed (coalescing as it will);
   * `mayRetry` says whether the consumer still commits automatically (open, autoCommit on).
   */
  constructor(private readonly commit: () => void, private readonly mayRetry: () => boolean) {}

  succeeded(): void {
    this.delayMs = autoCommitRetryDelayMsMin;
  }

  /** Arms one retry, unless one is armed already or the consumer no longer commits. */
  failed(): void {
    if (this.timer !== undefined || !this.mayRetry()) return;
    const delayMs = this.delayMs;
    this.delayMs = Math.min(2 * delayMs, autoCommitRetryDelayMsMax);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.commit();
    }, delayMs);
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
