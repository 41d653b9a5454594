/**
 * JoinGroup (key 11): a member asks to join (or rejoin) a group. The answer is parked by the
 * broker's coordinator until the join phase ends (coordinator/classic-group.ts), then the
 * leader gets every member's subscription metadata and the followers an empty list. Versions:
 * kafkajs and librdkafka use v5 (static membership's group_instance_id arrives there),
 * @platformatic/kafka v9.
 */
import {
  ApiKey, kafkaErrorCode, type JoinGroupRequest, type JoinGroupResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

/** v0 has no rebalance timeout: the session timeout serves as both. */
const REBALANCE_TIMEOUT_FROM_SESSION = -1;

export const joinGroupHandler = apiHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JOIN_GROUP,
  versions: [0, 9],
  async handle(context, request, version, client) {
    // Before v7 the protocol name is not nullable: an error answer carries an empty one.
    const noName = version >= 7 ? null : '';
    if (!isValidGroupId(request.groupId)) {
      return {
        throttleTimeMs: 0, errorCode: kafkaErrorCode('INVALID_GROUP_ID'), generationId: -1,
        protocolType: null, protocolName: noName, leader: '', skipAssignment: false,
        memberId: request.memberId, members: [],
      };
    }
    const result = await callGroups(context, {
      type: 'join', groupId: request.groupId, join: {
        memberId: request.memberId, instanceId: request.groupInstanceId,
        clientId: client.clientId, clientHost: client.host, protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs :
          REBALANCE_TIMEOUT_FROM_SESSION,
      },
    });
    return {
      throttleTimeMs: 0, errorCode: errorCodeOf(result.error), generationId: result.generation,
      protocolType: result.protocolType, protocolName: result.protocolName ?? noName,
      leader: result.leader, skipAssignment: result.skipAssignment, memberId: result.memberId,
      members: result.members.map((m) => ({
        memberId: m.memberId, groupInstanceId: m.instanceId, metadata: m.metadata,
      })),
    };
  },
});
