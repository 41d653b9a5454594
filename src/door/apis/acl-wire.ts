/**
 * Kafka's numbers for ACL fields (ResourceType, PatternType, AclOperation, AclPermissionType in
 * Kafka's clients), and the filters of DescribeAcls and DeleteAcls as predicates over entries.
 * ANY (1) matches everything; the pattern type MATCH (2) selects the entries that would apply
 * to the named resource (literal name, literal `*`, or a prefix of it).
 */
import {
  WILDCARD, resourceMatches, type AclEntry, type AclOperation, type PatternType, type Permission,
  type ResourceType,
} from '../../security/index.js';

export const ANY = 1;
const MATCH = 2;

const resourceTypes: Record<number, ResourceType> = {
  2: 'topic', 3: 'group', 4: 'cluster', 5: 'transactionalId',
};
const patternTypes: Record<number, PatternType> = { 3: 'literal', 4: 'prefixed' };
const operations: Record<number, AclOperation> = {
  2: 'All', 3: 'Read', 4: 'Write', 5: 'Create', 6: 'Delete', 7: 'Alter', 8: 'Describe',
  9: 'ClusterAction', 10: 'DescribeConfigs', 11: 'AlterConfigs', 12: 'IdempotentWrite',
};
const permissions: Record<number, Permission> = { 2: 'deny', 3: 'allow' };

function codeOf<T>(table: Record<number, T>, value: T): number {
  return Number(Object.entries(table).find(([, v]) => v === value)![0]);
}

export interface WireAcl {
  resourceType: number;
  resourceName: string;
  /** Named resourcePatternType in CreateAcls, patternType elsewhere. */
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** An entry from its wire form; a message naming what is not supported when it cannot be. */
export function entryFromWire(wire: WireAcl): AclEntry | string {
  const resourceType = resourceTypes[wire.resourceType];
  const patternType = patternTypes[wire.patternType];
  const operation = operations[wire.operation];
  const permission = permissions[wire.permissionType];
  if (resourceType === undefined) return `resource type ${wire.resourceType} is not supported`;
  if (patternType === undefined) return `pattern type ${wire.patternType} is not supported`;
  if (operation === undefined) return `operation ${wire.operation} is not supported`;
  if (permission === undefined) return `permission type ${wire.permissionType} is not supported`;
  return {
    principal: wire.principal, host: wire.host, resourceType, patternType,
    resourceName: wire.resourceName, operation, permission,
  };
}

export function entryToWire(entry: AclEntry): WireAcl {
  return {
    resourceType: codeOf(resourceTypes, entry.resourceType), resourceName: entry.resourceName,
    patternType: codeOf(patternTypes, entry.patternType), principal: entry.principal,
    host: entry.host, operation: codeOf(operations, entry.operation),
    permissionType: codeOf(permissions, entry.permission),
  };
}

export interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** The entries a DescribeAcls or DeleteAcls filter selects. */
export function filterPredicate(filter: WireFilter): (entry: AclEntry) => boolean {
  return (entry) => {
    if (filter.resourceTypeFilter !== ANY &&
      resourceTypes[filter.resourceTypeFilter] !== entry.resourceType) return false;
    if (filter.operation !== ANY && operations[filter.operation] !== entry.operation) {
      return false;
    }
    if (filter.permissionType !== ANY &&
      permissions[filter.permissionType] !== entry.permission) return false;
    if (filter.principalFilter !== null && filter.principalFilter !== entry.principal) {
      return false;
    }
    if (filter.hostFilter !== null && filter.hostFilter !== entry.host) return false;
    const name = filter.resourceNameFilter;
    if (filter.patternTypeFilter === MATCH) {
      return name === null || resourceMatches(entry, { type: entry.resourceType, name }) ||
        (entry.patternType === 'literal' && entry.resourceName === WILDCARD);
    }
    if (filter.patternTypeFilter !== ANY &&
      patternTypes[filter.patternTypeFilter] !== entry.patternType) return false;
    return name === null || name === entry.resourceName;
  };
}
