/**
 * `mamba groups list|describe|reset-offsets|delete` on a data directory. Committed offsets
 * live in the offset logs (coordinator/offset-store.ts); with the lock held and no broker
 * running, no member is live, so a reset or a deletion cannot race a member's commit.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { OffsetStore } from '../coordinator/index.js';
import {
  DataDirView, dataDirResetSource, planReset, type AdminClient, type GroupOffsetView,
  type ResetRow, type ResetSpec,
} from '../ops/index.js';
import { parseCommandLine } from './command-line.js';
import {
  ADMIN_EXIT_CODES, connectGroupAdmin, integerFlag, printJson, printTable, runAdmin,
  subcommandOf, targetOf,
  withReadView, withWriteLock,
} from './admin-cli.js';

const usage = `usage: mamba groups <subcommand> (--data-dir DIR | --bootstrap host:port) [options]

  list                        the groups with committed offsets, their partitions and lag
  describe --group G          per partition: committed offset, log end, lag
  reset-offsets --group G (--to-earliest | --to-latest | --to-offset N |
                --to-datetime ISO-8601 | --shift-by N) [--topic T] [--execute]
                              without --execute a dry run: prints the plan, changes nothing;
                              --topic T: every partition of T, else the partitions the group
                              has committed; targets are clamped into [log start, log end]
  delete --group G            forgets the group's committed offsets

  --json        JSON on stdout instead of a table

With --data-dir, reads work while a broker runs (its files, read-only); --execute and delete
need the lock. With --bootstrap, the broker's group APIs (ListGroups, DescribeGroups,
OffsetFetch, OffsetCommit as an admin, DeleteGroups): a group with live members refuses a
reset or a deletion, as Kafka's does.

${ADMIN_EXIT_CODES}`;

const flags = {
  'data-dir': { type: 'string' }, bootstrap: { type: 'string' }, json: { type: 'boolean' },
  group: { type: 'string' }, topic: { type: 'string' }, execute: { type: 'boolean' },
  'to-earliest': { type: 'boolean' }, 'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' }, 'to-datetime': { type: 'string' },
  'shift-by': { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof flags>>;

export function groupsCommand(args: string[]): Promise<number> {
  return runAdmin('groups', args, async () => {
    if (args.includes('--help') || args.includes('-h')) {
      console.log(usage);
      return 0;
    }
    const sub = subcommandOf('groups', args, ['list', 'describe', 'reset-offsets', 'delete']);
    const values = parseCommandLine(args.slice(1), flags);
    const target = targetOf(values);
    if ('bootstrap' in target) {
      const client = await connectGroupAdmin(target.bootstrap);
      try {
        return await remote(client, sub, values);
      } finally {
        client.close();
      }
    }
    const dataDir = target.dataDir;
    switch (sub) {
      case 'list': return withReadView(dataDir, (view) => list(view, values));
      case 'describe': return withReadView(dataDir, (view) => describe(view, values));
      case 'reset-offsets': return reset(dataDir, values);
      default: return remove(dataDir, values);
    }
  });
}

function groupFlag(values: Values): string {
  if (values.group === undefined) throw new MambaError('INVALID_CONFIG', 'give --group ID');
  return values.group;
}

function list(view: DataDirView, values: Values): number {
  return printGroups(view.groups(), values);
}

function printGroups(listed: ReadonlyArray<{ groupId: string;
  offsets: readonly GroupOffsetView[] }>, values: Values): number {
  const groups = listed.map((g) => ({
    groupId: g.groupId, partitions: g.offsets.length,
    lag: g.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0),
  }));
  if (values.json === true) printJson(groups);
  else printTable(['GROUP', 'PARTITIONS', 'LAG'], groups.map((g) =>
    [g.groupId, g.partitions, g.lag]));
  return 0;
}

function describe(view: DataDirView, values: Values): number {
  return printGroup(view.group(groupFlag(values)), values);
}

function printGroup(group: { groupId: string; offsets: readonly GroupOffsetView[];
  problem?: string; state?: string; members?: number }, values: Values): number {
  if (values.json === true) {
    printJson(group);
    return 0;
  }
  printTable(['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG'],
    group.offsets.map((o) => [group.groupId, o.topic, o.partition, o.committed, o.endOffset,
      o.lag]));
  return 0;
}

function resetSpec(values: Values): ResetSpec {
  const given: ResetSpec[] = [];
  if (values['to-earliest'] === true) given.push({ kind: 'earliest' });
  if (values['to-latest'] === true) given.push({ kind: 'latest' });
  const offset = integerFlag('--to-offset', values['to-offset'], 0);
  if (offset !== undefined) given.push({ kind: 'offset', offset });
  const shift = integerFlag('--shift-by', values['shift-by'], -Number.MAX_SAFE_INTEGER);
  if (shift !== undefined) given.push({ kind: 'shift', by: shift });
  const datetime = values['to-datetime'];
  if (datetime !== undefined) {
    const timestampMs = Date.parse(datetime);
    if (Number.isNaN(timestampMs)) {
      throw invalidConfig('--to-datetime', datetime, 'an ISO-8601 date, e.g. 2026-11-30T12:00Z');
    }
    given.push({ kind: 'datetime', timestampMs });
  }
  if (given.length !== 1) {
    throw new MambaError('INVALID_CONFIG', 'give exactly one of --to-earliest, --to-latest, ' +
      '--to-offset, --to-datetime, --shift-by');
  }
  return given[0];
}

async function reset(dataDir: string, values: Values): Promise<number> {
  const groupId = groupFlag(values);
  const spec = resetSpec(values);
  if (values.execute !== true) {
    const plan = await withReadView(dataDir, (view) => planReset(dataDirResetSource(view),
      groupId, spec, values.topic));
    return showPlan(groupId, plan, values, false);
  }
  return withWriteLock(dataDir, 'resetting offsets', async () => {
    const plan = await planReset(dataDirResetSource(DataDirView.open(dataDir)), groupId, spec,
      values.topic);
    const store = await OffsetStore.open(dataDir);
    try {
      await store.commit(groupId, plan.map((row) => ({
        topic: row.topic, partition: row.partition, offset: row.target })));
    } finally {
      await store.close();
    }
    return showPlan(groupId, plan, values, true);
  });
}

function showPlan(groupId: string, plan: ResetRow[], values: Values, executed: boolean):
  number {
  if (values.json === true) {
    printJson({ groupId, executed, offsets: plan });
    return 0;
  }
  printTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT', 'NEW', 'LOG-START', 'LOG-END'],
    plan.map((r) => [groupId, r.topic, r.partition, r.current, r.target, r.logStartOffset,
      r.endOffset]));
  console.log(executed ? 'committed.' : 'dry run: nothing changed (add --execute to commit).');
  return 0;
}

async function remove(dataDir: string, values: Values): Promise<number> {
  const groupId = groupFlag(values);
  await withWriteLock(dataDir, 'deleting a group', async () => {
    DataDirView.open(dataDir).group(groupId); // GROUP_ID_NOT_FOUND
    const store = await OffsetStore.open(dataDir);
    try {
      await store.deleteGroup(groupId);
    } finally {
      await store.close();
    }
  });
  if (values.json === true) printJson({ deleted: groupId });
  else console.log(`deleted group ${groupId}`);
  return 0;
}

/** The same subcommands through a running broker's group APIs. */
async function remote(client: AdminClient, sub: string, values: Values): Promise<number> {
  const withLag = async (groupId: string): Promise<GroupOffsetView[]> => {
    const committed = await client.committedOffsets(groupId);
    const topics = [...new Set(committed.map((c) => c.topic))];
    const ends = new Map((topics.length === 0 ? [] : await client.describeTopics(topics))
      .flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partition}`, p.highWatermark])));
    return committed.map((c) => {
      const endOffset = ends.get(`${c.topic}-${c.partition}`);
      return { topic: c.topic, partition: c.partition, committed: c.offset, endOffset,
        lag: endOffset === undefined ? undefined : Math.max(0, endOffset - c.offset) };
    });
  };
  switch (sub) {
    case 'list': {
      const groups = [];
      for (const g of await client.listGroups()) {
        groups.push({ groupId: g.groupId, offsets: await withLag(g.groupId) });
      }
      return printGroups(groups, values);
    }
    case 'describe': {
      const groupId = groupFlag(values);
      const offsets = await withLag(groupId);
      const { state, members } = await client.describeGroup(groupId);
      if (offsets.length === 0 && members === 0) {
        throw new MambaError('GROUP_ID_NOT_FOUND', `group ${JSON.stringify(groupId)} has no ` +
          'members and no committed offsets', { detail: { groupId } });
      }
      return printGroup({ groupId, state, members, offsets }, values);
    }
    case 'reset-offsets': {
      const groupId = groupFlag(values);
      const plan = await planReset(client.resetSource(), groupId, resetSpec(values),
        values.topic);
      if (values.execute === true) {
        await client.commitOffsets(groupId, plan.map((row) => ({
          topic: row.topic, partition: row.partition, offset: row.target })));
      }
      return showPlan(groupId, plan, values, values.execute === true);
    }
    default: {
      const groupId = groupFlag(values);
      await client.deleteGroup(groupId);
      if (values.json === true) printJson({ deleted: groupId });
      else console.log(`deleted group ${groupId}`);
      return 0;
    }
  }
}
