/**
 * Consumer groups: assignors, the coordinator and registry on the broker's main thread, the
 * request union members send to it (in-thread or over a `MessagePort`), and the member side
 * that heartbeats and follows assignments. Committed offsets live in ../offset-store.ts and
 * consumer handlers in ../handler-pool.ts.
 */
export {
  ASSIGNORS, ASSIGNOR_NAMES, compareTopicPartitions, cooperativeRound, cooperativeStickyAssign,
  isAssignorName, partitionKey, rangeAssign, roundRobinAssign,
} from './assignors.js';
export type {
  Assignment, Assignor, AssignorMember, AssignorName, CooperativeRound, TopicPartition,
} from './assignors.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { GroupCoordinator } from './group-coordinator.js';
export type {
  GroupCoordinatorOptions, GroupDescription, JoinRequest, MemberListener, MemberState,
  OffsetCommitter,
} from './group-coordinator.js';
export { GroupRegistry } from './group-registry.js';
export type { GroupRegistryOptions } from './group-registry.js';
export { serveGroupRequest, unwrapReply } from './group-protocol.js';
export type { GroupReply, GroupReplyValues, GroupRequest } from './group-protocol.js';
export { clientOver, localGroupClient, remoteGroupClient, serveGroupPort } from './group-client.js';
export type { GroupClient, Send } from './group-client.js';
export { GroupMember } from './group-member.js';
export type { GroupMemberOptions, RevocationReason } from './group-member.js';
