/**
 * Command-line parsing shared by the `mamba` commands: node's `parseArgs` in strict mode, with
 * two things it does not do for people. A value that starts with `-` (`--duration -5s`) is
 * taken as the flag's value, so the command can say the value is wrong instead of the
 * parser's "ambiguous" message; and the parser's errors become `INVALID_CONFIG` with a
 * message in plain words.
 */
import { parseArgs } from 'node:util';
import { MambaError } from '../errors.js';

export type FlagSpec = Record<string, {
  type: 'string' | 'boolean'; short?: string; default?: string | boolean;
}>;

/** `--flag -x` → `--flag=-x` for flags that take a value, so a negative value is a value. */
function joinDashedValues(args: readonly string[], flags: FlagSpec): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && flags[name]?.type === 'string' && next !== undefined &&
      next.startsWith('-') && next !== '--' && flags[next.replace(/^-+/, '')] === undefined) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Parses `args` against `flags`; unknown flags and positional arguments are errors. */
export function parseCommandLine<T extends FlagSpec>(args: readonly string[], flags: T):
  ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true }>>['values'] {
  try {
    return parseArgs({ args: joinDashedValues(args, flags), options: flags, strict: true })
      .values;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    throw new MambaError('INVALID_CONFIG', plainWords(error as Error), {
      detail: { args: [...args] },
    });
  }
}

/** The first sentence of a parseArgs message, which is the part that speaks to a person. */
function plainWords(error: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(error.message);
  if (unknown !== null) return `unknown option ${unknown[1]}`;
  const positional = /Unexpected argument '([^']+)'/.exec(error.message);
  if (positional !== null) return `unexpected argument ${positional[1]}`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(error.message);
  if (missing !== null) return `${missing[1]} needs a value`;
  return error.message.split('. ')[0];
}
