import { describe, expect, it } from 'vitest';
import { RestartPolicy } from '../src/supervisor/restart-policy.js';

describe('RestartPolicy', () => {
  const limits = { backoffMsMin: 10, backoffMsMax: 80, restartsPerMinuteMax: 5 };

  it('doubles the backoff up to the cap while crashes come fast', () => {
    const policy = new RestartPolicy(limits);
    const delays: number[] = [];
    let now = 0;
    policy.started(now);
    for (let i = 0; i < 5; i++) {
      const decision = policy.crashed(now);
      delays.push(decision.delayMs);
      now += decision.delayMs;
      policy.started(now);
    }
    expect(delays).toEqual([10, 20, 40, 80, 80]);
  });

  it('gives up past the restarts-per-minute limit, and forgives after a minute', () => {
    const policy = new RestartPolicy(limits);
    for (let i = 0; i < 5; i++) expect(policy.crashed(i).restart).toBe(true);
    expect(policy.crashed(5).restart).toBe(false);
    expect(policy.crashed(60_010).restart).toBe(true);
  });

  it('restarts an actor that served a second at once, then at the minimum; not one that did not',
    () => {
      const policy = new RestartPolicy(limits);
      policy.started(0);
      policy.ready(50);
      expect(policy.crashed(100).delayMs).toBe(10); // served 50 ms: a loop, so it doubles
      policy.started(110);
      policy.ready(150);
      expect(policy.crashed(200).delayMs).toBe(20);
      policy.started(220);
      policy.ready(260);
      expect(policy.crashed(1_300).delayMs).toBe(0); // served over a second: not a loop
      policy.started(1_300);
      expect(policy.crashed(2_400).delayMs).toBe(10); // never ready again: the minimum
      policy.started(2_410);
      expect(policy.crashed(2_500).delayMs).toBe(20); // and then it doubles
    });

  it('resets the backoff after a stable run', () => {
    const policy = new RestartPolicy(limits);
    policy.started(0);
    policy.crashed(1);
    policy.crashed(2);
    policy.started(3);
    expect(policy.crashed(20_000).delayMs).toBe(10);
  });
});
