/**
 * DeleteGroups (key 42): drops a group's committed offsets. Only a group without members may be
 * deleted (NON_EMPTY_GROUP otherwise); one the broker never heard of is GROUP_ID_NOT_FOUND.
 */
import {
  ApiKey, kafkaErrorCode, type DeleteGroupsRequest, type DeleteGroupsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

export const deleteGroupsHandler = apiHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DELETE_GROUPS,
  versions: [0, 2],
  async handle(context, request) {
    const valid = request.groupsNames.filter(isValidGroupId);
    const errors = await callGroups(context, { type: 'delete', groupIds: valid });
    const byId = new Map(valid.map((groupId, i) => [groupId, errorCodeOf(errors[i])]));
    return {
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({
        groupId, errorCode: byId.get(groupId) ?? kafkaErrorCode('INVALID_GROUP_ID'),
      })),
    };
  },
});
