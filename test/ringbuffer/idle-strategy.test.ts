/**
 * The idle strategy (ringbuffer/idle-strategy.ts): its option checked at the public edge, and
 * the order of its phases (spin, yield, park) on a given clock.
 */
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { IdleStrategy, resolveIdle, type IdleConfig } from '../../src/ringbuffer/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const defaults: IdleConfig = { strategy: 'backoff', spinUs: 50, yieldUs: 2000 };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof MambaError) return `${error.code} ${error.message}`;
    throw error;
  }
  return undefined;
}

describe('idle option', () => {
  it('takes a name or a name with thresholds, and fills the defaults', () => {
    expect(resolveIdle('options.idle', undefined, defaults)).toEqual(defaults);
    expect(resolveIdle('options.idle', undefined, { ...defaults, strategy: 'park' }))
      .toEqual({ strategy: 'park', spinUs: 0, yieldUs: 0 });
    expect(resolveIdle('options.idle', 'spin', defaults))
      .toEqual({ strategy: 'spin', spinUs: 50, yieldUs: 2000 });
    expect(resolveIdle('options.idle', { strategy: 'backoff', yieldUs: 10 }, defaults))
      .toEqual({ strategy: 'backoff', spinUs: 50, yieldUs: 10 });
    expect(resolveIdle('options.idle', 'park', defaults))
      .toEqual({ strategy: 'park', spinUs: 0, yieldUs: 0 });
  });

  it('rejects bad values with INVALID_CONFIG naming the option', () => {
    const bad: [unknown, string][] = [
      ['sleep', 'options.idle.strategy'],
      [7, 'options.idle must be'],
      [['spin'], 'options.idle must be'],
      [{ strategy: 'backoff', spinUs: -1 }, 'options.idle.spinUs'],
      [{ strategy: 'backoff', yieldUs: 1.5 }, 'options.idle.yieldUs'],
      [{ strategy: 'backoff', yieldUs: 1e9 }, 'options.idle.yieldUs'],
      [{ spinUs: 5 }, 'options.idle.strategy'],
      [{ strategy: 'spin', spinMs: 5 }, 'unknown option idle.spinMs (did you mean idle.spinUs?)'],
    ];
    for (const [value, says] of bad) {
      const shown = codeOf(() => resolveIdle('options.idle', value, defaults));
      expect(shown).toMatch(/^INVALID_CONFIG /);
      expect(shown).toContain(says);
    }
  });

  it('is checked by Broker.open and by broker.consumer', async () => {
    const error = await Broker.open({ dataDir: tempDir(), idle: 'nap' as never })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MambaError);
    expect((error as MambaError).code).toBe('INVALID_CONFIG');
    expect((error as MambaError).retriable).toBe(false);
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      expect(codeOf(() => broker.consumer({ idle: { strategy: 'spin', spinUs: -3 } })))
        .toMatch(/^INVALID_CONFIG options\.idle\.spinUs/);
    } finally {
      await broker.close();
    }
  });
});

describe('idle phases', () => {
  it('backoff spins, then yields, then parks, and parks at once until it finds work', () => {
    const idle = new IdleStrategy({ strategy: 'backoff', spinUs: 1000, yieldUs: 2000 });
    expect(idle.next(10)).toBe('spin');
    expect(idle.spinUntilMs).toBe(11);
    expect(idle.next(10.5)).toBe('spin');
    expect(idle.next(11)).toBe('yield');
    expect(idle.next(12.5)).toBe('yield');
    expect(idle.next(13)).toBe('park');
    // A wake-up that finds nothing (a heartbeat) parks again without spinning.
    expect(idle.next(200)).toBe('park');
    idle.busy();
    expect(idle.next(300)).toBe('spin');
  });

  it('spin never parks; park never spins or yields', () => {
    const spin = new IdleStrategy({ strategy: 'spin', spinUs: 1000, yieldUs: 0 });
    expect(spin.next(0)).toBe('spin');
    expect(spin.next(1)).toBe('yield');
    expect(spin.next(60_000)).toBe('yield');
    const park = new IdleStrategy({ strategy: 'park', spinUs: 0, yieldUs: 0 });
    expect(park.next(0)).toBe('park');
    park.busy();
    expect(park.next(1)).toBe('park');
  });
});
