/**
 * `mamba acls add|remove|list`: the ACLs of a data directory (`security/acls.json`), with
 * kafka-acls' flags. A running `mamba serve` applies a change within a second.
 *
 *   mamba acls add --allow-principal User:alice --operation Read,Describe --topic orders
 *   mamba acls add --allow-principal User:alice --operation Read --group billing-
 *                  --resource-pattern-type prefixed
 *   mamba acls add --deny-principal User:bob --operation All --cluster
 */
import { MambaError } from '../errors.js';
import {
  ACL_OPERATIONS, AclStore, CLUSTER_RESOURCE_NAME, WILDCARD, describeEntry,
  type AclEntry, type AclFilter, type AclOperation, type PatternType, type ResourceType,
} from '../security/index.js';
import { parseCommandLine } from './command-line.js';

const usage = `usage: mamba acls add|remove (--allow-principal P | --deny-principal P)
                 --operation Read[,Write,…] (--topic T | --group G | --cluster
                 | --transactional-id T) [--resource-pattern-type literal|prefixed]
                 [--host ADDRESS] [--data-dir ./data]
       mamba acls list [--principal P] [--topic T | --group G | --cluster
                 | --transactional-id T] [--data-dir ./data]
  operations: ${ACL_OPERATIONS.join(', ')}; principals as User:alice (User:* for everyone);
  a literal name * is every resource of its type.`;

const flags = {
  'data-dir': { type: 'string', default: './data' },
  'allow-principal': { type: 'string' },
  'deny-principal': { type: 'string' },
  principal: { type: 'string' },
  operation: { type: 'string' },
  topic: { type: 'string' },
  group: { type: 'string' },
  cluster: { type: 'boolean' },
  'transactional-id': { type: 'string' },
  'resource-pattern-type': { type: 'string' },
  host: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof flags>>;

export function aclsCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') {
    console.log(usage);
    return Promise.resolve(action === undefined ? 2 : 0);
  }
  const values = parseCommandLine(rest, flags);
  const store = new AclStore(values['data-dir']!);
  switch (action) {
    case 'add': {
      const entries = entriesOf(values);
      const added = store.add(entries);
      for (const entry of entries) console.log(describeEntry(entry));
      console.log(`${added} added, ${entries.length - added} already there`);
      break;
    }
    case 'remove': {
      const removed = store.remove(entriesOf(values)).flat();
      for (const entry of removed) console.log(`removed: ${describeEntry(entry)}`);
      if (removed.length === 0) throw new MambaError('INVALID_CONFIG', 'no such ACL entry');
      break;
    }
    case 'list': {
      const filter: AclFilter = {};
      if (values.principal !== undefined) filter.principal = values.principal;
      const resource = resourceOf(values, false);
      if (resource !== undefined) Object.assign(filter, resource);
      for (const entry of store.list(filter)) console.log(describeEntry(entry));
      break;
    }
    default:
      throw new MambaError('INVALID_CONFIG', `unknown action ${JSON.stringify(action)}\n${usage}`);
  }
  return Promise.resolve(0);
}

function entriesOf(values: Values): AclEntry[] {
  const allow = values['allow-principal'];
  const deny = values['deny-principal'];
  if ((allow === undefined) === (deny === undefined)) {
    throw new MambaError('INVALID_CONFIG',
      `give one of --allow-principal and --deny-principal\n${usage}`);
  }
  if (values.operation === undefined) {
    throw new MambaError('INVALID_CONFIG', `--operation is needed\n${usage}`);
  }
  const resource = resourceOf(values, true)!;
  const pattern = (values['resource-pattern-type'] ?? 'literal').toLowerCase();
  if (pattern !== 'literal' && pattern !== 'prefixed') {
    throw new MambaError('INVALID_CONFIG',
      `--resource-pattern-type must be literal or prefixed (got ${pattern})`);
  }
  return values.operation.split(',').map((text) => ({
    principal: (allow ?? deny)!, host: values.host ?? WILDCARD,
    resourceType: resource.resourceType, patternType: pattern as PatternType,
    resourceName: resource.resourceName, operation: operationOf(text.trim()),
    permission: allow !== undefined ? 'allow' : 'deny',
  }));
}

function resourceOf(values: Values, required: boolean):
  { resourceType: ResourceType; resourceName: string } | undefined {
  const given = [
    values.topic !== undefined && { resourceType: 'topic' as const, resourceName: values.topic },
    values.group !== undefined && { resourceType: 'group' as const, resourceName: values.group },
    values.cluster === true &&
      { resourceType: 'cluster' as const, resourceName: CLUSTER_RESOURCE_NAME },
    values['transactional-id'] !== undefined &&
      { resourceType: 'transactionalId' as const, resourceName: values['transactional-id'] },
  ].filter((r) => r !== false);
  if (given.length > 1 || (required && given.length === 0)) {
    throw new MambaError('INVALID_CONFIG', 'give one of --topic, --group, --cluster and ' +
      `--transactional-id\n${usage}`);
  }
  return given[0];
}

function operationOf(text: string): AclOperation {
  const found = ACL_OPERATIONS.find((op) => op.toLowerCase() === text.toLowerCase());
  if (found === undefined) {
    throw new MambaError('INVALID_CONFIG',
      `unknown operation ${JSON.stringify(text)}: one of ${ACL_OPERATIONS.join(', ')}`);
  }
  return found;
}
