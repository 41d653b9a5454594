/**
 * Waiting as a policy (LMAX's WaitStrategy, Agrona's BackoffIdleStrategy): what a loop that
 * found no work does before its next look. Parking (an `Atomics.waitAsync` on a shared word)
 * costs the waker a notify and the sleeper a wake-up through its event loop — tens of
 * microseconds each way, and a futex per batch for a busy reader. Spinning costs a core. So a
 * loop that just did work first spins (looks again without leaving the current task), then
 * yields (looks again once per turn of its event loop, so messages and timers still run), and
 * only then parks; a loop that parked once parks again at once until it finds work, so an idle
 * broker sleeps between its heartbeats instead of spinning after each.
 *
 * - `park`: park at once (no spin, no yield): the least CPU, the slowest wake-up.
 * - `backoff`: spin for `spinUs`, yield for `yieldUs`, then park.
 * - `spin`: spin for `spinUs`, then yield forever, never park: a core per loop, even idle.
 */
import { invalidConfig } from '../errors.js';
import { rejectUnknownOptions } from '../option-names.js';

export type IdleStrategyName = 'park' | 'backoff' | 'spin';
export const IDLE_STRATEGY_NAMES: readonly IdleStrategyName[] = ['park', 'backoff', 'spin'];

/** The public option: a strategy name, or one with its thresholds. */
export type IdleOption = IdleStrategyName | {
  strategy: IdleStrategyName;
  /** How long to look again without leaving the current task. */
  spinUs?: number;
  /** How long, after spinning, to look again once per event-loop turn before parking. */
  yieldUs?: number;
};

export interface IdleConfig {
  strategy: IdleStrategyName;
  spinUs: number;
  yieldUs: number;
}

/** What a loop that found no work does next. */
export type IdlePhase = 'spin' | 'yield' | 'park';

const idleUsMax = 10_000_000;

/**
 * The option checked at the public edge; `defaults` fills the thresholds a name leaves out.
 * `park` keeps no thresholds (it neither spins nor yields).
 */
export function resolveIdle(name: string, value: unknown, defaults: IdleConfig): IdleConfig {
  const given = value === undefined ? { strategy: defaults.strategy }
    : typeof value === 'string' ? { strategy: value } : value;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw invalidConfig(name, value, `one of ${IDLE_STRATEGY_NAMES.join(', ')}, or ` +
      '{ strategy, spinUs?, yieldUs? }');
  }
  rejectUnknownOptions(given as Record<string, unknown>,
    { strategy: true, spinUs: true, yieldUs: true }, 'idle.');
  const { strategy, spinUs, yieldUs } = given as Record<string, unknown>;
  if (!IDLE_STRATEGY_NAMES.includes(strategy as IdleStrategyName)) {
    throw invalidConfig(`${name}.strategy`, strategy, `one of ${IDLE_STRATEGY_NAMES.join(', ')}`);
  }
  const threshold = (field: string, input: unknown, fallback: number): number => {
    if (input === undefined) return fallback;
    if (typeof input !== 'number' || !Number.isInteger(input) || input < 0 || input > idleUsMax) {
      throw invalidConfig(`${name}.${field}`, input, `an integer from 0 to ${idleUsMax}`);
    }
    return input;
  };
  const config = {
    strategy: strategy as IdleStrategyName,
    spinUs: threshold('spinUs', spinUs, defaults.spinUs),
    yieldUs: threshold('yieldUs', yieldUs, defaults.yieldUs),
  };
  return config.strategy === 'park' ? { ...config, spinUs: 0, yieldUs: 0 } : config;
}

/** One loop's idle state: `busy` after a pass with work, `next` after one without. */
export class IdleStrategy {
  /** When the loop last found work (ms, performance.now()), or -1 while it did not yet idle. */
  private idleSinceMs = -1;
  private parked = false;

  constructor(readonly config: IdleConfig) {}

  busy(): void {
    this.idleSinceMs = -1;
    this.parked = false;
  }

  next(nowMs: number): IdlePhase {
    const { strategy, spinUs, yieldUs } = this.config;
    if (strategy === 'park' || this.parked) return 'park';
    if (this.idleSinceMs < 0) this.idleSinceMs = nowMs;
    const idleUs = (nowMs - this.idleSinceMs) * 1000;
    if (idleUs < spinUs) return 'spin';
    if (strategy === 'spin' || idleUs < spinUs + yieldUs) return 'yield';
    this.parked = true;
    return 'park';
  }

  /** Until when (ms, performance.now()) the current spin lasts. */
  get spinUntilMs(): number {
    return this.idleSinceMs + this.config.spinUs / 1000;
  }
}

/**
 * Calls `found` until it says true or `untilMs` (performance.now()) passes; true if it did. The
 * clock is read every few looks: a look is far cheaper than a clock read.
 */
export function spinUntil(found: () => boolean, untilMs: number): boolean {
  for (;;) {
    for (let i = 0; i < 32; i++) if (found()) return true;
    if (performance.now() >= untilMs) return found();
  }
}

/** One turn of the event loop: messages, I/O callbacks and timers run, then the loop goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
