/** Parses a duration as people write it on a command line: `500ms`, `10s`, `2m`, or bare ms. */
import { invalidConfig } from '../errors.js';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw invalidConfig(option, text, 'a duration of zero or more, like 500ms, 10s or 2m');
  }
  return Math.round(Number(match[1]) * units[match[2] ?? 'ms']);
}
