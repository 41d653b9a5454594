/**
 * A consumer's side of group membership: joins, heartbeats on its own timer, follows the
 * assignment, and hands revoked partitions back.
 *
 * Liveness is kept apart from processing. Heartbeats run on the clock, never from the
 * processing loop, and do not wait for the revocation callback: a handler that takes long
 * keeps its member alive. What a slow member cannot do is hold partitions that must move: the
 * coordinator expels a member that has not acknowledged a revocation within
 * `rebalanceTimeoutMs`. That is the part of Kafka's `max.poll.interval.ms` that matters here;
 * a member that is slow but holds nothing anyone waits for just shows lag.
 *
 * A member that learns it was expelled (UNKNOWN_MEMBER on a heartbeat) reports its partitions
 * lost (`onRevoked(…, 'lost')`; commits for them would be refused) and joins again.
 */
import { heartbeatIntervalMsDefault } from '../../constants.js';
import { MambaError, closed, invalidConfig } from '../../errors.js';
import type { OffsetEntry } from '../../coordinator/index.js';
import { compareTopicPartitions, partitionKey } from '../../coordinator/index.js';
import type { AssignorName, TopicPartition } from '../../coordinator/index.js';
import { systemClock } from '../../coordinator/index.js';
import type { Clock } from '../../coordinator/index.js';
import type { GroupClient } from './group-client.js';
import type { MemberState } from '../../coordinator/index.js';

export type RevocationReason = 'rebalance' | 'lost';

export interface GroupMemberOptions {
  groupId: string;
  subscriptions: string[];
  assignor?: AssignorName;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  clock?: Clock;
  /** Newly assigned partitions (not the whole set). */
  onAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Stop processing these and commit what was done; acknowledged when this resolves. */
  onRevoked?: (partitions: TopicPartition[], reason: RevocationReason) => void | Promise<void>;
  /** Errors of the background heartbeat (the member keeps trying). */
  onError?: (error: unknown) => void;
}

export class GroupMember {
  private current: MemberState;
  private latest: MemberState | undefined;
  private applying: Promise<void> = Promise.resolve();
  private cancelHeartbeat: (() => void) | undefined;
  private isClosed = false;
  private readonly clock: Clock;
  private readonly heartbeatIntervalMs: number;

  private constructor(
    private readonly client: GroupClient,
    private readonly options: GroupMemberOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? heartbeatIntervalMsDefault;
    if (!Number.isInteger(this.heartbeatIntervalMs) || this.heartbeatIntervalMs < 1) {
      throw invalidConfig('heartbeatIntervalMs', this.heartbeatIntervalMs, 'a positive integer');
    }
    this.current = { memberId: '', generation: 0, assigned: [], revoked: [] };
  }

  /** Joins the group; resolves once the first assignment has been applied. */
  static async join(client: GroupClient, options: GroupMemberOptions): Promise<GroupMember> {
    const member = new GroupMember(client, options);
    await member.applyState(await member.sendJoin(undefined));
    member.scheduleHeartbeat();
    return member;
  }

  get memberId(): string {
    return this.current.memberId;
  }

  get generation(): number {
    return this.current.generation;
  }

  /** The partitions this member owns now, as last applied. */
  assigned(): TopicPartition[] {
    return [...this.current.assigned];
  }

  async commit(entries: OffsetEntry[]): Promise<void> {
    if (this.isClosed) throw closed('CONSUMER_CLOSED', 'group member');
    await this.client.commit(this.options.groupId, this.current.memberId,
      this.current.generation, entries);
  }

  /** Gives every partition back (after `onRevoked`) and leaves the group. */
  async leave(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.cancelHeartbeat?.();
    await this.applying;
    const held = [...this.current.assigned, ...this.current.revoked];
    if (held.length > 0) await this.options.onRevoked?.(held, 'rebalance');
    await this.client.leave(this.options.groupId, this.current.memberId)
      .catch((error: unknown) => {
        if (!MambaError.is(error, 'UNKNOWN_MEMBER')) throw error;
      });
  }

  /** Sends one heartbeat now (the timer does this on its own; tests call it too). */
  async heartbeat(): Promise<void> {
    if (this.isClosed) return;
    try {
      this.enqueue(await this.client.heartbeat(this.options.groupId, this.current.memberId));
    } catch (error) {
      if (!MambaError.is(error, 'UNKNOWN_MEMBER')) {
        this.options.onError?.(error);
        return;
      }
      this.applying = this.applying.then(() => this.rejoinAfterExpulsion());
    }
    await this.applying;
  }

  private sendJoin(memberId: string | undefined): Promise<MemberState> {
    const o = this.options;
    return this.client.join(o.groupId, {
      memberId, subscriptions: o.subscriptions, assignor: o.assignor ?? 'cooperative-sticky',
      sessionTimeoutMs: o.sessionTimeoutMs, rebalanceTimeoutMs: o.rebalanceTimeoutMs,
    });
  }

  private scheduleHeartbeat(): void {
    if (this.isClosed) return;
    this.cancelHeartbeat = this.clock.schedule(this.heartbeatIntervalMs, () => {
      void this.heartbeat().finally(() => this.scheduleHeartbeat());
    });
  }

  /** Keeps only the newest state to apply; states are applied one at a time, in order. */
  private enqueue(state: MemberState): void {
    if (state.generation === this.current.generation && state.revoked.length === 0) return;
    const first = this.latest === undefined;
    this.latest = state;
    if (!first) return;
    this.applying = this.applying.then(() => {
      const next = this.latest!;
      this.latest = undefined;
      return this.applyState(next);
    }).catch((error: unknown) => this.options.onError?.(error));
  }

  private async applyState(state: MemberState): Promise<void> {
    // A heartbeat reply can arrive after a newer state from an acknowledgement: skip it.
    if (this.isClosed || state.generation < this.current.generation) return;
    const before = new Set(this.current.assigned.map(partitionKey));
    const added = state.assigned.filter((tp) => !before.has(partitionKey(tp)));
    this.current = state;
    if (added.length > 0) await this.options.onAssigned?.(added);
    if (state.revoked.length === 0) return;
    await this.options.onRevoked?.(state.revoked, 'rebalance');
    const after = await this.client.acknowledgeRevocation(
      this.options.groupId, state.memberId, state.generation);
    this.current = { ...state, revoked: [] };
    await this.applyState(after);
  }

  private async rejoinAfterExpulsion(): Promise<void> {
    if (this.isClosed) return;
    const lost = [...this.current.assigned, ...this.current.revoked].sort(compareTopicPartitions);
    this.current = { memberId: '', generation: 0, assigned: [], revoked: [] };
    if (lost.length > 0) await this.options.onRevoked?.(lost, 'lost');
    await this.applyState(await this.sendJoin(undefined));
  }
}
