/**
 * Access control entries and the one decision rule, Kafka's (AclAuthorizer):
 *
 * | # | case                                                           | verdict |
 * | - | -------------------------------------------------------------- | ------- |
 * | 1 | the principal is a super user                                  | allow   |
 * | 2 | a deny entry matches (principal, host, resource, op or All)    | deny    |
 * | 3 | an allow entry matches, for the op or one that implies it      | allow   |
 * | 4 | nothing matches                                                | deny    |
 *
 * An entry matches a principal by name or `User:*`, a host by address or `*`, a resource by
 * type and then by name: literal (equal, or the literal name `*`) or prefixed (the name starts
 * with it). Read, Write, Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs
 * (Kafka's rule, so that a consumer granted Read can also look its topic up).
 */
import { invalidConfig } from '../errors.js';

export type ResourceType = 'topic' | 'group' | 'cluster' | 'transactionalId';
export type PatternType = 'literal' | 'prefixed';
export type AclOperation =
  | 'All' | 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'ClusterAction'
  | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite';
export type Permission = 'allow' | 'deny';

export const RESOURCE_TYPES: readonly ResourceType[] = [
  'topic', 'group', 'cluster', 'transactionalId',
];
export const PATTERN_TYPES: readonly PatternType[] = ['literal', 'prefixed'];
export const ACL_OPERATIONS: readonly AclOperation[] = [
  'All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction',
  'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite',
];
/** Kafka names its one cluster resource so. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
export const WILDCARD = '*';
export const ANONYMOUS = 'User:ANONYMOUS';

export interface Resource {
  type: ResourceType;
  name: string;
}

export interface AclEntry {
  /** `User:alice`, or `User:*` for everyone. */
  principal: string;
  /** The client's address, or `*`. */
  host: string;
  resourceType: ResourceType;
  patternType: PatternType;
  resourceName: string;
  operation: AclOperation;
  permission: Permission;
}

/** Which entries a filter selects (describe, delete); an absent field matches anything. */
export type AclFilter = Partial<AclEntry>;

const implied: Partial<Record<AclOperation, readonly AclOperation[]>> = {
  Describe: ['Describe', 'Read', 'Write', 'Delete', 'Alter'],
  DescribeConfigs: ['DescribeConfigs', 'AlterConfigs'],
};

export function resourceMatches(entry: AclEntry, resource: Resource): boolean {
  if (entry.resourceType !== resource.type) return false;
  if (entry.patternType === 'prefixed') return resource.name.startsWith(entry.resourceName);
  return entry.resourceName === WILDCARD || entry.resourceName === resource.name;
}

function appliesTo(entry: AclEntry, principal: string, host: string,
  resource: Resource): boolean {
  return (entry.principal === principal || entry.principal === 'User:*') &&
    (entry.host === WILDCARD || entry.host === host) && resourceMatches(entry, resource);
}

/** The verdict of the table above, for the entries that exist. */
export function decide(entries: readonly AclEntry[], principal: string, host: string,
  operation: AclOperation, resource: Resource): boolean {
  let allowed = false;
  const allowing = implied[operation] ?? [operation];
  for (const entry of entries) {
    if (!appliesTo(entry, principal, host, resource)) continue;
    if (entry.permission === 'deny') {
      if (entry.operation === operation || entry.operation === 'All') return false;
    } else if (entry.operation === 'All' || allowing.includes(entry.operation)) {
      allowed = true;
    }
  }
  return allowed;
}

export function filterMatches(filter: AclFilter, entry: AclEntry): boolean {
  return (filter.principal === undefined || filter.principal === entry.principal) &&
    (filter.host === undefined || filter.host === entry.host) &&
    (filter.resourceType === undefined || filter.resourceType === entry.resourceType) &&
    (filter.patternType === undefined || filter.patternType === entry.patternType) &&
    (filter.resourceName === undefined || filter.resourceName === entry.resourceName) &&
    (filter.operation === undefined || filter.operation === entry.operation) &&
    (filter.permission === undefined || filter.permission === entry.permission);
}

export function sameEntry(a: AclEntry, b: AclEntry): boolean {
  return filterMatches(a, b);
}

/** A principal as Kafka writes it: `Type:name` with a non-empty name. */
export function validatePrincipal(principal: unknown): string {
  if (typeof principal !== 'string' || !/^[A-Za-z]+:.+$/s.test(principal)) {
    throw invalidConfig('principal', principal, "'User:<name>' (or 'User:*')");
  }
  return principal;
}

/** Checks an entry from outside (CLI, CreateAcls, the file) and returns it. */
export function validateAclEntry(entry: AclEntry): AclEntry {
  validatePrincipal(entry.principal);
  if (!RESOURCE_TYPES.includes(entry.resourceType)) {
    throw invalidConfig('resource type', entry.resourceType, RESOURCE_TYPES.join(', '));
  }
  if (!PATTERN_TYPES.includes(entry.patternType)) {
    throw invalidConfig('pattern type', entry.patternType, PATTERN_TYPES.join(', '));
  }
  if (!ACL_OPERATIONS.includes(entry.operation)) {
    throw invalidConfig('operation', entry.operation, ACL_OPERATIONS.join(', '));
  }
  if (entry.permission !== 'allow' && entry.permission !== 'deny') {
    throw invalidConfig('permission', entry.permission, "'allow' or 'deny'");
  }
  if (typeof entry.resourceName !== 'string' || entry.resourceName.length === 0) {
    throw invalidConfig('resource name', entry.resourceName, 'a non-empty name');
  }
  if (entry.resourceType === 'cluster' && entry.resourceName !== CLUSTER_RESOURCE_NAME) {
    throw invalidConfig('resource name', entry.resourceName, `'${CLUSTER_RESOURCE_NAME}'`);
  }
  if (typeof entry.host !== 'string' || entry.host.length === 0) {
    throw invalidConfig('host', entry.host, "an address or '*'");
  }
  return entry;
}

/** One line per entry, for `mamba acls list`. */
export function describeEntry(entry: AclEntry): string {
  return `${entry.permission} ${entry.principal} ${entry.operation} ${entry.resourceType}:` +
    `${entry.patternType === 'prefixed' ? `${entry.resourceName}*` : entry.resourceName}` +
    `${entry.host === WILDCARD ? '' : ` from ${entry.host}`}`;
}
