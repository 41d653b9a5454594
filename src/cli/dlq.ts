/**
 * `mamba dlq list|replay --data-dir DIR --topic orders.DLQ [--to orders] [--where EXPR]`: the
 * dead letters of a topic, and sending them again (client/dead-letter-replay.ts). `--where`
 * takes a filter expression over the dead letters' headers and key, e.g.
 * `"mamba.dlq.error.class = 'TypeError' AND region = 'eu'"`. The command opens the data
 * directory itself, so the broker that owns it must be stopped (the directory lock says so).
 */
import { Broker } from '../broker.js';
import { MambaError, invalidConfig } from '../errors.js';
import { parseCommandLine } from './command-line.js';

const dlqFlags = {
  'data-dir': { type: 'string', default: './data' },
  topic: { type: 'string' },
  to: { type: 'string' },
  where: { type: 'string' },
  'from-offset': { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const dlqUsage = `usage: mamba dlq list   --data-dir DIR --topic DLQ [--where EXPR] [--json]
       mamba dlq replay --data-dir DIR --topic DLQ [--to TOPIC] [--where EXPR]
  options of both: --from-offset N (per partition)  --limit N`;

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalidConfig(name, text, 'a non-negative integer');
  }
  return value;
}

export async function dlqCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h') {
    console.log(dlqUsage);
    return 0;
  }
  if (action !== 'list' && action !== 'replay') {
    throw new MambaError('INVALID_CONFIG', `mamba dlq: 'list' or 'replay' first\n${dlqUsage}`);
  }
  const values = parseCommandLine(rest, dlqFlags);
  if (values.help) {
    console.log(dlqUsage);
    return 0;
  }
  if (values.topic === undefined) throw invalidConfig('--topic', undefined, 'a DLQ topic name');
  const query = {
    topic: values.topic, where: values.where,
    fromOffset: count('--from-offset', values['from-offset']),
    limit: count('--limit', values.limit),
  };
  const broker = await Broker.open({ dataDir: values['data-dir'], actors: 1 });
  try {
    if (action === 'list') {
      const letters = broker.listDeadLetters(query);
      for (const letter of letters) {
        if (values.json) {
          console.log(JSON.stringify(letter));
          continue;
        }
        const h = letter.headers;
        console.log(`${letter.partition}@${letter.offset}  from ` +
          `${String(h['mamba.dlq.original.topic'])}/${String(h['mamba.dlq.original.partition'])}` +
          `@${String(h['mamba.dlq.original.offset'])}  attempts ` +
          `${String(h['mamba.dlq.attempts'])}  ${String(h['mamba.dlq.error.class'])}: ` +
          `${String(h['mamba.dlq.error.message'])}  key ${JSON.stringify(letter.key)}`);
      }
      if (!values.json) console.log(`${letters.length} dead letter(s) in ${values.topic}`);
    } else {
      const result = await broker.replayDeadLetters({ ...query, to: values.to });
      const targets = Object.entries(result.byTopic).map(([t, n]) => `${t}: ${n}`).join(', ');
      console.log(`replayed ${result.replayed} dead letter(s)` +
        (targets === '' ? '' : ` (${targets})`));
    }
  } finally {
    await broker.close();
  }
  return 0;
}
