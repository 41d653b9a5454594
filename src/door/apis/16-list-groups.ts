/**
 * ListGroups (key 16): every group with live members or committed offsets, filtered by state
 * (v4+) and type (v5+: all of them are "classic" in Kafka's terms).
 */
import {
  ApiKey, type ListGroupsRequest, type ListGroupsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups } from './group-call.js';

const GROUP_TYPE = 'classic';

export const listGroupsHandler = apiHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.LIST_GROUPS,
  versions: [0, 5],
  async handle(context, request) {
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(request.typesFilter.map((t) => t.toLowerCase()));
    if (types.size > 0 && !types.has(GROUP_TYPE)) {
      return { throttleTimeMs: 0, errorCode: 0, groups: [] };
    }
    const listed = await callGroups(context, { type: 'list' });
    return {
      throttleTimeMs: 0, errorCode: 0,
      groups: listed.filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .map((g) => ({
          groupId: g.groupId, protocolType: g.protocolType, groupState: g.state,
          groupType: GROUP_TYPE,
        })),
    };
  },
});
