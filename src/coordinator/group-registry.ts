/**
 * The broker's consumer groups: one `GroupCoordinator` per group id, created on first use and
 * dropped when its last member goes (its committed offsets stay in the offset store).
 */
import { groupsPerBrokerMax } from '../constants.js';
import { MambaError, closed } from '../errors.js';
import { checkGroupId } from './offset-store.js';
import type { OffsetEntry } from './offset-store.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { OffsetCommitter } from './group-coordinator.js';

export interface GroupRegistryOptions {
  offsets: OffsetCommitter;
  partitionCount: (topic: string) => number | undefined;
  clock?: Clock;
}

export class GroupRegistry {
  private readonly coordinators = new Map<string, GroupCoordinator>();
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
    if (this.coordinators.size >= groupsPerBrokerMax) {
      throw new MambaError('GROUP_MAX_SIZE_REACHED',
        `the broker has ${groupsPerBrokerMax} active groups already`);
    }
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
    if (this.coordinators.has(groupId)) {
      throw new MambaError('ILLEGAL_STATE',
        `group ${JSON.stringify(groupId)} has live members; commit through a member`);
    }
    await this.options.offsets.commit(groupId, entries);
  }

  groupIds(): string[] {
    return [...this.coordinators.keys()].sort();
  }

  /** Topic metadata changed: every group rebalances if a subscribed topic changed. */
  topicsChanged(): void {
    for (const coordinator of this.coordinators.values()) coordinator.topicsChanged();
  }

  close(): void {
    this.isClosed = true;
    for (const coordinator of this.coordinators.values()) coordinator.close();
    this.coordinators.clear();
  }
}
