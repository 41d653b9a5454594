/**
 * Progress of one scenario run: a bar on a terminal (cli-progress), and on anything else (CI
 * logs, pipes) nothing until the one summary line the suite prints per result.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` and `total` in the same unit (milliseconds of the measured run). */
  update(done: number, messagesPerSec: number): void;
  stop(): void;
}

export function startProgress(label: string, total: number): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    format: `${label.padEnd(40)} [{bar}] {percentage}% | {rate} msgs/s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { rate: '0' });
  return {
    update: (done, messagesPerSec) =>
      bar.update(Math.min(done, total), { rate: Math.round(messagesPerSec).toLocaleString('en') }),
    stop: () => bar.stop(),
  };
}
