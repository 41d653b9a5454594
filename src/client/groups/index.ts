/**
 * The member side of consumer groups: the client that reaches a coordinator (in this thread or
 * over a `MessagePort`) and the member that heartbeats and follows assignments. The coordinators
 * themselves are broker-side services in ../../coordinator/.
 */
export { clientOver, localGroupClient, remoteGroupClient, serveGroupPort } from './group-client.js';
export type { GroupClient, Send } from './group-client.js';
export { GroupMember } from './group-member.js';
export type { GroupMemberOptions, RevocationReason } from './group-member.js';
