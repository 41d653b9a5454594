/**
 * SyncGroup (key 14): the leader hands in the assignment it computed; every member gets its
 * own part back. A follower's request is parked until the leader's arrives.
 */
import {
  ApiKey, kafkaErrorCode, type SyncGroupRequest, type SyncGroupResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

export const syncGroupHandler = apiHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SYNC_GROUP,
  versions: [0, 5],
  async handle(context, request) {
    if (!isValidGroupId(request.groupId)) {
      return {
        throttleTimeMs: 0, errorCode: kafkaErrorCode('INVALID_GROUP_ID'), protocolType: null,
        protocolName: null, assignment: new Uint8Array(0),
      };
    }
    const result = await callGroups(context, {
      type: 'sync', groupId: request.groupId, sync: {
        memberId: request.memberId, instanceId: request.groupInstanceId,
        generation: request.generationId,
        assignments: request.assignments.map((a) => ({
          memberId: a.memberId, assignment: a.assignment,
        })),
      },
    });
    return {
      throttleTimeMs: 0, errorCode: errorCodeOf(result.error), protocolType: result.protocolType,
      protocolName: result.protocolName, assignment: result.assignment,
    };
  },
});
