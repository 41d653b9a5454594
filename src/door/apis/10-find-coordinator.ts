/**
 * FindCoordinator (key 10): this node coordinates every group. Served from v0 because
 * librdkafka takes FindCoordinator v0 as the sign of a broker that accepts gzip, snappy and
 * lz4 batches (its feature table); without it librdkafka sends those uncompressed, and never
 * looks for a group coordinator. The group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups) are served by the broker's
 * group registry through the broker link (group-call.ts), so every group's coordinator is this
 * node. The transaction coordinator (key type 1) is this node too: the broker's
 * `TransactionCoordinator` serves the transaction APIs through the same link (txn-call.ts).
 */
import {
  ApiKey, kafkaErrorCode, type FindCoordinatorRequest, type FindCoordinatorResponse,
} from '../../protocol/index.js';
import { NODE_ID } from '../door-context.js';
import { apiHandler } from './api-handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = apiHandler<FindCoordinatorRequest,
  FindCoordinatorResponse>({
  apiKey: ApiKey.FIND_COORDINATOR,
  versions: [0, 6],
  handle(context, request, version) {
    const { host, port } = context.advertised;
    const keys = version >= 4 ? request.coordinatorKeys : [request.key];
    // Describe on the group or transactional id, as Kafka asks; the first key's answer is the
    // v0-3 answer.
    const coordinators = keys.map((key) => {
      const errorCode = request.keyType === KEY_TYPE_GROUP ?
        (context.allowsGroup('Describe', key) ? 0 : kafkaErrorCode('GROUP_AUTHORIZATION_FAILED')) :
        request.keyType === KEY_TYPE_TRANSACTION ?
          (context.allowsTransactionalId('Describe', key) ? 0 :
            kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED')) :
          kafkaErrorCode('COORDINATOR_NOT_AVAILABLE');
      const nodeId = errorCode === 0 ? NODE_ID : -1;
      return { key, nodeId, host, port, errorCode, errorMessage: null };
    });
    const first = coordinators[0] ?? { errorCode: 0, nodeId: NODE_ID };
    return Promise.resolve({
      throttleTimeMs: 0, errorCode: first.errorCode, errorMessage: null, nodeId: first.nodeId,
      host, port, coordinators,
    });
  },
});
