/**
 * LeaveGroup (key 13): one member leaves (v0–2), or a batch of members by member id or by
 * static instance id (v3+, each with its own error).
 */
import {
  ApiKey, kafkaErrorCode, type LeaveGroupRequest, type LeaveGroupResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

export const leaveGroupHandler = apiHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LEAVE_GROUP,
  versions: [0, 5],
  async handle(context, request, version) {
    if (!isValidGroupId(request.groupId)) {
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode('INVALID_GROUP_ID'), members: [] };
    }
    const members = version >= 3 ?
      request.members.map((m) => ({ memberId: m.memberId, instanceId: m.groupInstanceId })) :
      [{ memberId: request.memberId, instanceId: null }];
    const errors = await callGroups(context, {
      type: 'leave', groupId: request.groupId, members,
    });
    const codes = errors.map(errorCodeOf);
    return {
      throttleTimeMs: 0,
      // v3+ reports per member; the batch itself succeeded.
      errorCode: version >= 3 ? 0 : codes[0],
      members: members.map((m, i) => ({
        memberId: m.memberId, groupInstanceId: m.instanceId, errorCode: codes[i],
      })),
    };
  },
});
