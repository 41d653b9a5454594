/**
 * AddOffsetsToTxn (key 25): a consumer group's offsets will be committed in the transaction
 * (TxnOffsetCommit follows). Needs Write on the transactional id and Read on the group
 * (Kafka's checks); the coordinator answers the rest.
 */
import {
  ApiKey, kafkaErrorCode, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { isValidGroupId } from './group-call.js';
import { callTxn, txnOutcome, txnProducer } from './txn-call.js';

/** The first version whose clients know PRODUCER_FENCED (KIP-588). */
const fencedFrom = 2;

export const addOffsetsToTxnHandler = apiHandler<AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse>({
  apiKey: ApiKey.ADD_OFFSETS_TO_TXN,
  versions: [0, 4],
  async handle(context, request, version) {
    const producer = txnProducer(request.transactionalId, request.producerId,
      request.producerEpoch);
    const errorCode =
      !context.allowsTransactionalId('Write', request.transactionalId) ?
        kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED') :
        !context.allowsGroup('Read', request.groupId) ?
          kafkaErrorCode('GROUP_AUTHORIZATION_FAILED') :
          !isValidGroupId(request.groupId) ? kafkaErrorCode('INVALID_GROUP_ID') :
            await txnOutcome(callTxn(context, {
              kind: 'txn-add-offsets', producer, groupId: request.groupId,
            }), version, fencedFrom);
    return { throttleTimeMs: 0, errorCode };
  },
});
