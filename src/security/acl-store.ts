/**
 * The ACLs of a data directory (`security/acls.json`) and the authorizer that reads them. The
 * door asks `authorize` on every request that touches a resource, so the file is looked at
 * (one stat) at most once per `refreshIntervalMs`; the door's own changes (CreateAcls,
 * DeleteAcls) apply at once, and `mamba acls add` in another process within that interval.
 */
import { securityAclsMax } from '../constants.js';
import { invalidConfig } from '../errors.js';
import {
  WILDCARD, decide, filterMatches, sameEntry, validateAclEntry, type AclEntry, type AclFilter,
  type AclOperation, type Resource, type ResourceType,
} from './acl.js';
import {
  fileIdentity, invalidFile, readSecurityFile, securityPath, writeSecurityFile,
} from './security-file.js';

export const ACLS_FILE_NAME = 'acls.json';

/** Selects entries: a filter (absent fields match anything) or any predicate. */
export type AclSelector = AclFilter | ((entry: AclEntry) => boolean);

function selects(selector: AclSelector, entry: AclEntry): boolean {
  return typeof selector === 'function' ? selector(entry) : filterMatches(selector, entry);
}
const refreshIntervalMs = 1_000;

export class AclStore {
  private entries: AclEntry[] = [];
  private identity: string | undefined;
  private checkedAtMs = -Infinity;
  readonly path: string;

  constructor(dataDir: string, private readonly superUsers: readonly string[] = []) {
    this.path = securityPath(dataDir, ACLS_FILE_NAME);
  }

  /**
   * Whether `principal`, connected from `host`, may do `operation` on `resource`: the table of
   * acl.ts, super users first.
   */
  authorize(principal: string, host: string, operation: AclOperation,
    resource: Resource): boolean {
    if (this.superUsers.includes(principal)) return true;
    this.refreshSoon();
    return decide(this.entries, principal, host, operation, resource);
  }

  /**
   * Whether `principal` may do `operation` on some resource of `type` (Kafka's
   * authorizeByResourceType, used for idempotent producers: Write on any topic): an allow entry
   * for it, and no deny entry for it on every resource of the type (literal `*`).
   */
  authorizeAny(principal: string, host: string, operation: AclOperation,
    type: ResourceType): boolean {
    if (this.superUsers.includes(principal)) return true;
    this.refreshSoon();
    const mine = this.entries.filter((e) => e.resourceType === type &&
      (e.principal === principal || e.principal === 'User:*') &&
      (e.host === WILDCARD || e.host === host) &&
      (e.operation === operation || e.operation === 'All'));
    return mine.some((e) => e.permission === 'allow') && !mine.some((e) =>
      e.permission === 'deny' && e.patternType === 'literal' && e.resourceName === WILDCARD);
  }

  list(selector: AclSelector = {}): AclEntry[] {
    this.refresh();
    return this.entries.filter((entry) => selects(selector, entry));
  }

  /** Adds entries (an entry already there is not doubled); returns how many were new. */
  add(entries: readonly AclEntry[]): number {
    entries.forEach(validateAclEntry);
    this.refresh();
    const fresh = entries.filter((e, i) => !this.entries.some((x) => sameEntry(x, e)) &&
      !entries.slice(0, i).some((x) => sameEntry(x, e)));
    if (fresh.length === 0) return 0;
    if (this.entries.length + fresh.length > securityAclsMax) {
      throw invalidConfig('ACL entries', this.entries.length + fresh.length,
        `at most ${securityAclsMax}`);
    }
    this.entries = [...this.entries, ...fresh];
    this.save();
    return fresh.length;
  }

  /** Removes the entries each selector selects; returns them, per selector. */
  remove(selectors: readonly AclSelector[]): AclEntry[][] {
    this.refresh();
    const removed = selectors.map((f) => this.entries.filter((entry) => selects(f, entry)));
    const gone = new Set(removed.flat());
    if (gone.size === 0) return removed;
    this.entries = this.entries.filter((entry) => !gone.has(entry));
    this.save();
    return removed;
  }

  refresh(): void {
    this.checkedAtMs = Date.now();
    const identity = fileIdentity(this.path);
    if (identity === this.identity) return;
    this.entries = parseEntries(this.path, readSecurityFile(this.path));
    this.identity = identity;
  }

  private refreshSoon(): void {
    if (Date.now() - this.checkedAtMs >= refreshIntervalMs) this.refresh();
  }

  private save(): void {
    writeSecurityFile(this.path, { acls: this.entries });
    this.identity = fileIdentity(this.path);
  }
}

function parseEntries(filePath: string, content: Record<string, unknown> | undefined):
  AclEntry[] {
  if (content === undefined) return [];
  if (!Array.isArray(content.acls)) throw invalidFile(filePath, 'no acls list');
  return content.acls.map((raw: unknown, index) => {
    const r = (raw ?? {}) as Record<string, unknown>;
    try {
      return validateAclEntry({
        principal: r.principal, host: r.host, resourceType: r.resourceType,
        patternType: r.patternType, resourceName: r.resourceName, operation: r.operation,
        permission: r.permission,
      } as AclEntry);
    } catch (error) {
      throw invalidFile(filePath, `entry ${index}: ${(error as Error).message}`);
    }
  });
}
