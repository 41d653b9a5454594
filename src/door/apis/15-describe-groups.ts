/**
 * DescribeGroups (key 15): state, protocol and members of each group, with each member's
 * subscription metadata and assignment as the members sent them. A group that does not exist
 * is "Dead" (Kafka's answer, no error); one with committed offsets and no members is "Empty".
 */
import {
  ApiKey, kafkaErrorCode, type DescribeGroupsRequest, type DescribeGroupsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callGroups, isValidGroupId } from './group-call.js';

/** Kafka's "authorized operations not requested" value. */
const OPERATIONS_OMITTED = -2147483648;

export const describeGroupsHandler = apiHandler<DescribeGroupsRequest,
  DescribeGroupsResponse>({
  apiKey: ApiKey.DESCRIBE_GROUPS,
  versions: [0, 5],
  async handle(context, request) {
    const valid = request.groups.filter(isValidGroupId);
    const described = await callGroups(context, { type: 'describe', groupIds: valid });
    const byId = new Map(described.map((d) => [d.groupId, d]));
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const group = byId.get(groupId);
        if (group === undefined) {
          return {
            errorCode: kafkaErrorCode('INVALID_GROUP_ID'), groupId, groupState: '',
            protocolType: '', protocolData: '', members: [],
            authorizedOperations: OPERATIONS_OMITTED,
          };
        }
        return {
          errorCode: 0, groupId, groupState: group.state, protocolType: group.protocolType,
          protocolData: group.protocolName, authorizedOperations: OPERATIONS_OMITTED,
          members: group.members.map((m) => ({
            memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId,
            clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment,
          })),
        };
      }),
    };
  },
});
