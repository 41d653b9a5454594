/**
 * The users of a data directory (`security/users.json`): per user and SCRAM mechanism the
 * salted, hashed form scram.ts makes (salt, iterations, StoredKey, ServerKey), never the
 * password. SASL/PLAIN is checked against the same form (SCRAM-SHA-512's when the user has it).
 */
import { invalidConfig } from '../errors.js';
import { securityUsersMax } from '../constants.js';
import {
  SCRAM_MECHANISMS, passwordMatches, scramCredential, scramIterationsDefault,
  scramIterationsMax, type ScramCredential, type ScramMechanism,
} from './scram.js';
import {
  fileIdentity, invalidFile, readSecurityFile, securityPath, writeSecurityFile,
} from './security-file.js';

export const USERS_FILE_NAME = 'users.json';
const userNameLengthMax = 255;

type UserCredentials = Partial<Record<ScramMechanism, ScramCredential>>;

export interface UserSummary {
  name: string;
  mechanisms: ScramMechanism[];
}

export function validateUserName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > userNameLengthMax ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(name)) {
    throw invalidConfig('user name', name,
      `1 to ${userNameLengthMax} characters, no control characters`);
  }
  return name;
}

export class CredentialStore {
  private users = new Map<string, UserCredentials>();
  private identity: string | undefined;
  readonly path: string;

  constructor(dataDir: string) {
    this.path = securityPath(dataDir, USERS_FILE_NAME);
  }

  /** Reads the file again if it changed since it was last read. */
  refresh(): void {
    const identity = fileIdentity(this.path);
    if (identity === this.identity) return;
    this.users = parseUsers(this.path, readSecurityFile(this.path));
    this.identity = identity;
  }

  credential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    this.refresh();
    return this.users.get(user)?.[mechanism];
  }

  /** SASL/PLAIN: whether `password` is the user's (false for an unknown user). */
  async verifyPassword(user: string, password: string): Promise<boolean> {
    this.refresh();
    const credentials = this.users.get(user);
    const mechanism = credentials?.['SCRAM-SHA-512'] !== undefined ? 'SCRAM-SHA-512' :
      'SCRAM-SHA-256';
    const credential = credentials?.[mechanism];
    if (credential === undefined) return false;
    return passwordMatches(mechanism, credential, password);
  }

  list(): UserSummary[] {
    this.refresh();
    return [...this.users].map(([name, credentials]) => ({
      name, mechanisms: SCRAM_MECHANISMS.filter((m) => credentials[m] !== undefined),
    })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a user, or replaces the password of one. */
  async put(user: string, password: string, iterations = scramIterationsDefault,
    mechanisms: readonly ScramMechanism[] = SCRAM_MECHANISMS): Promise<void> {
    validateUserName(user);
    if (password.length === 0) throw invalidConfig('password', '', 'not empty');
    if (!Number.isInteger(iterations) || iterations < scramIterationsDefault ||
      iterations > scramIterationsMax) {
      throw invalidConfig('iterations', iterations,
        `an integer from ${scramIterationsDefault} to ${scramIterationsMax}`);
    }
    const credentials: UserCredentials = {};
    for (const mechanism of mechanisms) {
      credentials[mechanism] = await scramCredential(mechanism, password, iterations);
    }
    this.refresh();
    if (!this.users.has(user) && this.users.size >= securityUsersMax) {
      throw invalidConfig('users', this.users.size, `at most ${securityUsersMax}`);
    }
    this.users.set(user, credentials);
    this.save();
  }

  /** Removes a user; false if there was none of that name. */
  remove(user: string): boolean {
    this.refresh();
    if (!this.users.delete(user)) return false;
    this.save();
    return true;
  }

  private save(): void {
    const users: Record<string, Record<string, Record<string, string | number>>> = {};
    for (const [name, credentials] of this.users) {
      users[name] = {};
      for (const mechanism of SCRAM_MECHANISMS) {
        const c = credentials[mechanism];
        if (c === undefined) continue;
        users[name][mechanism] = {
          salt: c.salt.toString('base64'), iterations: c.iterations,
          storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'),
        };
      }
    }
    writeSecurityFile(this.path, { users });
    this.identity = fileIdentity(this.path);
  }
}

function parseUsers(filePath: string,
  content: Record<string, unknown> | undefined): Map<string, UserCredentials> {
  const users = new Map<string, UserCredentials>();
  if (content === undefined) return users;
  const entries = content.users;
  if (typeof entries !== 'object' || entries === null) throw invalidFile(filePath, 'no users');
  for (const [name, value] of Object.entries(entries as Record<string, unknown>)) {
    const credentials: UserCredentials = {};
    for (const mechanism of SCRAM_MECHANISMS) {
      const raw = (value as Record<string, unknown> | null)?.[mechanism];
      if (raw === undefined) continue;
      credentials[mechanism] = parseCredential(filePath, name, raw);
    }
    users.set(name, credentials);
  }
  return users;
}

function parseCredential(filePath: string, user: string, raw: unknown): ScramCredential {
  const r = raw as Record<string, unknown>;
  const bytes = (field: string): Buffer => {
    if (typeof r[field] !== 'string') throw invalidFile(filePath, `user ${user}: no ${field}`);
    return Buffer.from(r[field] as string, 'base64');
  };
  const iterations = r.iterations;
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1 ||
    iterations > scramIterationsMax) {
    throw invalidFile(filePath, `user ${user}: bad iterations`);
  }
  return {
    salt: bytes('salt'), iterations, storedKey: bytes('storedKey'), serverKey: bytes('serverKey'),
  };
}
