/**
 * The live progress of a run on stderr: on a terminal one line rewritten in place; elsewhere
 * (CI logs, pipes) a plain line every `plainEveryMs`.
 */
import type { CrashTestProgress } from './crash-run.js';
import { progressLine } from './report.js';

const plainEveryMs = 2_000;

export interface ProgressDisplay {
  update(progress: CrashTestProgress): void;
  stop(): void;
}

export function startProgressDisplay(stream: NodeJS.WriteStream = process.stderr):
  ProgressDisplay {
  if (stream.isTTY) {
    let shown = false;
    return {
      update: (progress) => {
        stream.write(`\r${progressLine(progress)}\x1b[K`);
        shown = true;
      },
      stop: () => {
        if (shown) stream.write('\r\x1b[K');
      },
    };
  }
  let lastMs = -Infinity;
  return {
    update: (progress) => {
      const nowMs = performance.now();
      if (nowMs - lastMs < plainEveryMs) return;
      lastMs = nowMs;
      stream.write(`${progressLine(progress)}\n`);
    },
    stop: () => undefined,
  };
}
