/**
 * When to restart a crashed actor, and when to stop trying.
 *
 * Backoff doubles from `restartBackoffMsMin` up to `restartBackoffMsMax` with each crash that
 * comes soon after the previous restart, and falls back to the minimum once an actor has run
 * steadily for a while. An actor that served (was ready) for `servedRunMs` before it crashed
 * is not in a crash loop (which dies starting, or right after it is ready, as on a poison
 * frame): it restarts at once, and a second crash soon after gets the minimum. Waiting, or
 * doubling, only added downtime (issue 15: ~70 ms of a restart under crash-test load, where
 * each actor dies every few seconds; the minimum's 10 ms timer took 10-70 ms there).
 *
 * The storm guard counts restarts in a sliding minute: past `restartsPerMinuteMax` the actor
 * is given up and its partitions are marked failed, so that a bug that crashes every start
 * turns into a clear error instead of a crash loop.
 */
import { restartBackoffMsMax, restartBackoffMsMin, restartsPerMinuteMax } from '../constants.js';
import type { RestartConfig } from '../options.js';

const stableRunMs = 10_000;
const servedRunMs = 1_000;
const windowMs = 60_000;

type RestartLimits = Pick<RestartConfig, 'backoffMsMin' | 'backoffMsMax' | 'restartsPerMinuteMax'>;

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  restartsInWindow: number;
}

export class RestartPolicy {
  private restartTimesMs: number[] = [];
  private backoffMs: number;
  private lastStartMs = -Infinity;
  private lastReadyMs = -Infinity;

  constructor(
    private readonly limits: RestartLimits = {
      backoffMsMin: restartBackoffMsMin,
      backoffMsMax: restartBackoffMsMax,
      restartsPerMinuteMax,
    },
  ) {
    this.backoffMs = limits.backoffMsMin;
  }

  /** Records that the actor started (or restarted) at `nowMs`. */
  started(nowMs: number): void {
    this.lastStartMs = nowMs;
  }

  /** Records that the actor became ready (its partitions open, its sessions attached). */
  ready(nowMs: number): void {
    this.lastReadyMs = nowMs;
  }

  /** Decides what to do about a crash at `nowMs`. */
  crashed(nowMs: number): RestartDecision {
    this.restartTimesMs = this.restartTimesMs.filter((t) => nowMs - t < windowMs);
    if (this.restartTimesMs.length >= this.limits.restartsPerMinuteMax) {
      return { restart: false, delayMs: 0, restartsInWindow: this.restartTimesMs.length };
    }
    const served = this.lastReadyMs >= this.lastStartMs && nowMs - this.lastReadyMs >= servedRunMs;
    if (served || nowMs - this.lastStartMs >= stableRunMs) {
      this.backoffMs = this.limits.backoffMsMin;
    }
    const delayMs = served ? 0 : this.backoffMs;
    if (!served) this.backoffMs = Math.min(this.backoffMs * 2, this.limits.backoffMsMax);
    this.restartTimesMs.push(nowMs);
    return { restart: true, delayMs, restartsInWindow: this.restartTimesMs.length };
  }
}
