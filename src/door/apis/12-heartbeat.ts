/**
 * Heartbeat (key 12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
 */
import {
  ApiKey, kafkaErrorCode, type HeartbeatRequest, type HeartbeatResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

export const heartbeatHandler = apiHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.HEARTBEAT,
  versions: [0, 4],
  async handle(context, request) {
    if (!isValidGroupId(request.groupId)) {
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode('INVALID_GROUP_ID') };
    }
    const error = await callGroups(context, {
      type: 'heartbeat', groupId: request.groupId, member: {
        memberId: request.memberId, instanceId: request.groupInstanceId,
        generation: request.generationId,
      },
    });
    return { throttleTimeMs: 0, errorCode: errorCodeOf(error) };
  },
});
