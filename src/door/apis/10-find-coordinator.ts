/**
 * FindCoordinator (key 10): this node coordinates every group. Served from v0 because
 * librdkafka takes FindCoordinator v0 as the sign of a broker that accepts gzip, snappy and
 * lz4 batches (its feature table); without it librdkafka sends those uncompressed, and never
 * looks for a group coordinator. The group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups) are served by the broker's
 * group registry through the broker link (group-call.ts), so every group's coordinator is this
 * node. Transaction coordinators: COORDINATOR_NOT_AVAILABLE.
 */
import {
  ApiKey, kafkaErrorCode, type FindCoordinatorRequest, type FindCoordinatorResponse,
} from '../../protocol/index.js';
import { NODE_ID } from '../door-context.js';
import { apiHandler } from './api-handler.js';

const KEY_TYPE_GROUP = 0;

export const findCoordinatorHandler = apiHandler<FindCoordinatorRequest,
  FindCoordinatorResponse>({
  apiKey: ApiKey.FIND_COORDINATOR,
  versions: [0, 6],
  handle(context, request, version) {
    const { host, port } = context.advertised;
    const errorCode = request.keyType === KEY_TYPE_GROUP ? 0 :
      kafkaErrorCode('COORDINATOR_NOT_AVAILABLE');
    const nodeId = errorCode === 0 ? NODE_ID : -1;
    const keys = version >= 4 ? request.coordinatorKeys : [request.key];
    return Promise.resolve({
      throttleTimeMs: 0, errorCode, errorMessage: null, nodeId, host, port,
      coordinators: keys.map((key) => ({
        key, nodeId, host, port, errorCode, errorMessage: null,
      })),
    });
  },
});
