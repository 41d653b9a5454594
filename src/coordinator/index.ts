/**
 * Broker-side services that every consumer shares, embedded or over the network (the Kafka
 * door): the group coordinators (Mamba's own and Kafka's classic protocol) and their registry,
 * the assignors they run, the request unions members send to them, and the durable store of
 * committed offsets. The member side (heartbeats, following
 * assignments) lives in ../client/groups/.
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
export type { GroupRegistryOptions, OffsetBook } from './group-registry.js';
export { ClassicGroup } from './classic-group.js';
export type {
  ClassicDescription, ClassicError, ClassicJoin, ClassicJoinResult, ClassicMemberDescription,
  ClassicMemberRef, ClassicProtocol, ClassicState, ClassicSync, ClassicSyncResult,
} from './classic-group.js';
export { serveClassicRequest } from './classic-requests.js';
export type {
  ClassicGroupListing, ClassicReplies, ClassicReply, ClassicRequest,
} from './classic-requests.js';
export { serveGroupRequest, unwrapReply } from './group-protocol.js';
export type { GroupReply, GroupReplyValues, GroupRequest } from './group-protocol.js';
export {
  GROUPS_DIR_NAME, OffsetStore, checkCommitMetadata, checkGroupId, parseLog,
} from './offset-store.js';
export type { OffsetEntry } from './offset-store.js';
