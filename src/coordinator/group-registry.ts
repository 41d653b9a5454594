/**
 * The broker's consumer groups: one coordinator per group id, created on first use and dropped
 * when its last member goes (its committed offsets stay in the offset store). A group is either
 * a Mamba group (`GroupCoordinator`: the coordinator assigns, cooperatively) or a Kafka classic
 * group (`ClassicGroup`: JoinGroup/SyncGroup, the leader assigns), never both at once: joining
 * one kind while the other has live members is refused as an inconsistent group protocol.
 */
import { groupsPerBrokerMax } from '../constants.js';
import { MambaError, closed } from '../errors.js';
import { checkGroupId } from './offset-store.js';
import type { OffsetEntry } from './offset-store.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { ClassicGroup } from './classic-group.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { OffsetCommitter } from './group-coordinator.js';

/** The offset store as the registry uses it: commits, and the groups' offsets as a whole. */
export interface OffsetBook extends OffsetCommitter {
  committedOffsets(groupId: string): OffsetEntry[];
  committedEntry(groupId: string, topic: string, partition: number): OffsetEntry | undefined;
  groups(): string[];
  deleteGroup(groupId: string): Promise<void>;
}

export interface GroupRegistryOptions {
  offsets: OffsetBook;
  partitionCount: (topic: string) => number | undefined;
  clock?: Clock;
}

export class GroupRegistry {
  private readonly coordinators = new Map<string, GroupCoordinator>();
  private readonly classics = new Map<string, ClassicGroup>();
  private readonly clock: Clock;
  private isClosed = false;

  constructor(private readonly options: GroupRegistryOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The coordinator of `groupId`, created if the group has none yet. */
  coordinator(groupId: string): GroupCoordinator {
    if (this.isClosed) throw closed('BROKER_CLOSED', 'group registry');
    checkGroupId(groupId);
    const existing = this.coordinators.get(groupId);
    if (existing !== undefined) return existing;
    if (this.classics.has(groupId)) throw kindClash(groupId, 'a Kafka classic');
    this.checkRoom();
    const coordinator = new GroupCoordinator({
      groupId, offsets: this.options.offsets, partitionCount: this.options.partitionCount,
      clock: this.clock,
      onEmpty: () => {
        coordinator.close();
        if (this.coordinators.get(groupId) === coordinator) this.coordinators.delete(groupId);
      },
    });
    this.coordinators.set(groupId, coordinator);
    return coordinator;
  }

  /** The classic group `groupId`, created if it has none yet (a JoinGroup from Kafka clients). */
  classic(groupId: string): ClassicGroup {
    if (this.isClosed) throw closed('BROKER_CLOSED', 'group registry');
    checkGroupId(groupId);
    const existing = this.classics.get(groupId);
    if (existing !== undefined) return existing;
    if (this.coordinators.has(groupId)) throw kindClash(groupId, 'a Mamba');
    this.checkRoom();
    const group = new ClassicGroup(groupId, this.clock, this.options.offsets, () => {
      if (this.classics.get(groupId) === group) this.classics.delete(groupId);
    });
    this.classics.set(groupId, group);
    return group;
  }

  /** The classic group if it has live members (or is forming), without creating one. */
  findClassic(groupId: string): ClassicGroup | undefined {
    return this.classics.get(groupId);
  }

  /** A topic's partition count, or undefined when it does not exist. */
  partitionCount(topic: string): number | undefined {
    return this.options.partitionCount(topic);
  }

  /** The offset store behind every group. */
  get offsets(): OffsetBook {
    return this.options.offsets;
  }

  /** The coordinator if the group has live members, without creating one. */
  find(groupId: string): GroupCoordinator | undefined {
    return this.coordinators.get(groupId);
  }

  /** Committed offsets do not need a live group. */
  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.options.offsets.committed(groupId, topic, partition);
  }

  /** Offsets committed from outside any generation (an admin reset, a group-less tool). */
  async commitUnfenced(groupId: string, entries: readonly OffsetEntry[]): Promise<void> {
    checkGroupId(groupId);
    if (this.coordinators.has(groupId) || (this.classics.get(groupId)?.memberCount() ?? 0) > 0) {
      throw new MambaError('ILLEGAL_STATE',
        `group ${JSON.stringify(groupId)} has live members; commit through a member`);
    }
    await this.options.offsets.commit(groupId, entries);
  }

  groupIds(): string[] {
    return [...this.coordinators.keys()].sort();
  }

  classicGroupIds(): string[] {
    return [...this.classics.keys()].sort();
  }

  private checkRoom(): void {
    if (this.coordinators.size + this.classics.size >= groupsPerBrokerMax) {
      throw new MambaError('GROUP_MAX_SIZE_REACHED',
        `the broker has ${groupsPerBrokerMax} active groups already`);
    }
  }

  /** Topic metadata changed: every group rebalances if a subscribed topic changed. */
  topicsChanged(): void {
    for (const coordinator of this.coordinators.values()) coordinator.topicsChanged();
  }

  close(): void {
    this.isClosed = true;
    for (const coordinator of this.coordinators.values()) coordinator.close();
    this.coordinators.clear();
    for (const group of this.classics.values()) group.close();
    this.classics.clear();
  }
}

function kindClash(groupId: string, kind: string): MambaError {
  return new MambaError('INCONSISTENT_GROUP_PROTOCOL',
    `group ${JSON.stringify(groupId)} has live members of ${kind} group`);
}
