/**
 * The chaos schedule: an endless, seeded sequence of kills. Everything random about a kill is
 * drawn here, up front and in a fixed order, so that a seed gives the same sequence of waits,
 * modes, victims and damage whatever the timing of the run. (Which actor a `pick` lands on
 * depends on which actors are up at that moment; see broker-child.ts.)
 */
import { Prng } from './prng.js';
import type { KillMode } from './options.js';

/** How a power cut damages the unflushed tail of a segment (torn-tail.ts). */
export type DamageKind = 'zero' | 'garbage';

export interface ChaosStep {
  /** Index of the step in the schedule, from 0. */
  index: number;
  /** Wait after the previous step finished, before this kill. */
  waitMs: number;
  mode: KillMode;
  /** In [0, 1): chooses the victim among the actors that are up. */
  pick: number;
  damage: DamageKind;
  /** Seeds the torn-tail damage of this step (cut points, flipped bits). */
  damageSeed: number;
}

export class ChaosSchedule {
  private readonly prng: Prng;
  private index = 0;

  constructor(seed: number, private readonly killEveryMs: number,
    private readonly modes: readonly KillMode[]) {
    this.prng = new Prng(seed);
  }

  next(): ChaosStep {
    const prng = this.prng;
    // Fixed draw order: every step consumes exactly five numbers.
    const waitMs = Math.round(this.killEveryMs * (0.5 + prng.next()));
    const mode = this.modes[prng.below(this.modes.length)];
    const pick = prng.next();
    const damage: DamageKind = prng.next() < 0.5 ? 'zero' : 'garbage';
    const damageSeed = prng.nextUint32();
    return { index: this.index++, waitMs, mode, pick, damage, damageSeed };
  }
}
