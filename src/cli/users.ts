/**
 * `mamba users add|remove|list`: the SASL users of a data directory, kept as SCRAM-SHA-256 and
 * SCRAM-SHA-512 credentials (salt, iterations, StoredKey, ServerKey; never the password) in
 * `security/users.json`. A running `mamba serve` sees a change at the next login.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { CredentialStore, scramIterationsDefault } from '../security/index.js';
import { parseCommandLine } from './command-line.js';

const usage = `usage: mamba users add <name> [--password P] [--iterations 4096] [--data-dir ./data]
       mamba users remove <name> [--data-dir ./data]
       mamba users list [--data-dir ./data]
  add reads the password from stdin (one line) when --password is not given.`;

const flags = {
  'data-dir': { type: 'string', default: './data' },
  password: { type: 'string' },
  iterations: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export async function usersCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') {
    console.log(usage);
    return action === undefined ? 2 : 0;
  }
  const name = rest[0] !== undefined && !rest[0].startsWith('-') ? rest.shift() : undefined;
  const values = parseCommandLine(rest, flags);
  const store = new CredentialStore(values['data-dir']!);
  switch (action) {
    case 'add': {
      const user = required(name);
      const iterations = values.iterations === undefined ? scramIterationsDefault :
        Number(values.iterations);
      const password = values.password ?? await readPassword();
      await store.put(user, password, iterations);
      console.log(`user ${user}: SCRAM-SHA-256 and SCRAM-SHA-512 credentials stored`);
      return 0;
    }
    case 'remove': {
      const user = required(name);
      if (!store.remove(user)) {
        throw invalidConfig('user', user, 'an existing user (mamba users list)');
      }
      console.log(`user ${user} removed`);
      return 0;
    }
    case 'list':
      for (const user of store.list()) console.log(`${user.name}\t${user.mechanisms.join(',')}`);
      return 0;
    default:
      throw new MambaError('INVALID_CONFIG', `unknown action ${JSON.stringify(action)}\n${usage}`);
  }
}

function required(name: string | undefined): string {
  if (name === undefined) throw new MambaError('INVALID_CONFIG', `a user name is needed\n${usage}`);
  return name;
}

/** The first line of stdin, without its line ending. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  if (line.length === 0) {
    throw new MambaError('INVALID_CONFIG', 'no password: give --password or one line on stdin');
  }
  return line;
}
