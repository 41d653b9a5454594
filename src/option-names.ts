/**
 * Unknown option names, rejected at the public edge (issue 17 item 5): a typo such as
 * `groupID` or a kafkajs name such as `numPartitions` would otherwise be ignored and give
 * silently different behaviour. Each validator in options.ts (and beside its other users)
 * declares its valid names once, as an `OptionNames<T>` record that the compiler keeps complete
 * against the options interface; `rejectUnknownOptions` checks an object against it and names
 * the closest valid option in its error.
 */
import { MambaError } from './errors.js';

/**
 * Every option name of an options type, each mapped to `true` (or to the name the option is
 * shown under elsewhere, such as a command-line flag). A record rather than a list so that
 * `tsc` fails when the interface gains a name the record lacks (or the reverse): adding an
 * option is the interface field plus one line here.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true | string };

/**
 * Names other libraries (kafkajs above all) use for an option Mamba spells differently. The
 * suggestion is made only where the Mamba name is valid for the object being checked.
 */
const foreignNames: Readonly<Record<string, string>> = {
  numPartitions: 'partitions',
  maxBytes: 'maxBatchBytes',
  maxBytesPerPartition: 'maxBatchBytes',
  maxWaitTimeInMs: 'maxWaitMs',
  sessionTimeout: 'sessionTimeoutMs',
  heartbeatInterval: 'heartbeatIntervalMs',
  rebalanceTimeout: 'rebalanceTimeoutMs',
  autoCommitInterval: 'autoCommit',
  autoCommitThreshold: 'autoCommit',
  timeout: 'requestTimeoutMs',
  createPartitioner: 'partitioner',
  segmentSizeBytes: 'segmentBytes',
};

/** kafkajs options with no counterpart in Mamba, and why: said instead of a suggestion. */
const foreignOnlyNames: Readonly<Record<string, string>> = {
  replicationFactor: 'one broker keeps one copy of each partition',
  allowAutoTopicCreation: 'topics are created with broker.createTopic',
  clientId: 'the broker is in this process',
  brokers: 'the broker is in this process',
  maxInFlightRequests: 'a producer keeps at most 64 batches in flight per partition',
};

/** Edit distance (insert, delete, substitute, swap of neighbours), ignoring letter case. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rows of the dynamic-programming table: two back is needed for a swap.
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, before[j - 2] + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length];
}

/**
 * The valid name `name` most likely stands for: a known foreign spelling, else the nearest by
 * edit distance if it is near enough to be a typo (at most a third of the name's length, and
 * at most 3), else one the name is a prefix or an extension of. Undefined if none is close.
 */
export function closestName(name: string, valid: readonly string[]): string | undefined {
  const foreign = foreignNames[name];
  if (foreign !== undefined && valid.includes(foreign)) return foreign;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= Math.min(3, Math.ceil(name.length / 3))) return best;
  const lower = name.toLowerCase();
  return valid.find((candidate) => {
    const other = candidate.toLowerCase();
    return lower.length >= 3 && (other.startsWith(lower) || lower.startsWith(other));
  });
}

/**
 * Throws `INVALID_CONFIG` for the first own key of `options` that `names` does not list, naming
 * it (under `path`, e.g. `restart.`) and the closest valid name, or every valid name if none is
 * close. A key set to `undefined` counts too: it is still a misspelling.
 */
export function rejectUnknownOptions<T>(
  options: Record<string, unknown>, names: OptionNames<T>, path = '',
): void {
  const valid = Object.keys(names);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(names, key)) continue;
    const suggestion = closestName(key, valid);
    const foreignOnly = foreignOnlyNames[key];
    const hint = suggestion !== undefined ? `did you mean ${path}${suggestion}?`
      : foreignOnly !== undefined ? `a kafkajs option Mamba does not need: ${foreignOnly}`
        : `valid options: ${valid.join(', ')}`;
    throw new MambaError('INVALID_CONFIG', `unknown option ${path}${key} (${hint})`, {
      detail: { option: `${path}${key}`, suggestion: suggestion ?? null, valid },
    });
  }
}
