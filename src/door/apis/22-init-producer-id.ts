/**
 * InitProducerId (key 22). For idempotent producers: a fresh random 47-bit producer id (the
 * same scheme as embedded idempotent producers: unique without a registry across restarts)
 * with epoch 0; a producer that names its current id and epoch (KIP-360, v3+) gets the epoch
 * bumped. The sequence rules themselves are the actors' (segments/producer-state.ts). With
 * authorization on, an idempotent producer needs IdempotentWrite on the cluster or Write on
 * some topic (Kafka's rule), else CLUSTER_AUTHORIZATION_FAILED.
 *
 * With a transactional id the broker's transaction coordinator answers (`txn-init`): the id's
 * producer id, with its epoch bumped (which fences the previous user and ends its open
 * transaction). Needs Write on the transactional id.
 */
import { randomInt } from 'node:crypto';
import {
  ApiKey, kafkaErrorCode, type InitProducerIdRequest, type InitProducerIdResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { callTxn, txnErrorCode } from './txn-call.js';

const epochMax = 0x7ffe;
/** The first version whose clients know PRODUCER_FENCED (KIP-588). */
const fencedFrom = 4;

type Answer = Promise<InitProducerIdResponse>;

function answer(errorCode: number, producerId: bigint, producerEpoch: number): Answer {
  return Promise.resolve({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
}

export const initProducerIdHandler = apiHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.INIT_PRODUCER_ID,
  versions: [0, 5],
  handle(context, request, version) {
    if (request.transactionalId !== null) return transactional(context, request, version);
    if (!context.allowsCluster('IdempotentWrite') && !context.allowsAny('Write', 'topic')) {
      return answer(kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED'), -1n, -1);
    }
    if (request.producerId >= 0n && request.producerEpoch >= 0 &&
      request.producerEpoch < epochMax) {
      return answer(0, request.producerId, request.producerEpoch + 1);
    }
    return answer(0, BigInt(randomInt(1, 2 ** 47)), 0);
  },
});

async function transactional(context: DoorContext, request: InitProducerIdRequest,
  version: number): Answer {
  const transactionalId = request.transactionalId!;
  if (!context.allowsTransactionalId('Write', transactionalId)) {
    return answer(kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), -1n, -1);
  }
  if (transactionalId === '') return answer(kafkaErrorCode('INVALID_REQUEST'), -1n, -1);
  const current = request.producerId >= 0n && request.producerEpoch >= 0 ?
    { producerId: Number(request.producerId), producerEpoch: request.producerEpoch } :
    undefined;
  try {
    const given = await callTxn(context, {
      kind: 'txn-init', transactionalId, transactionTimeoutMs: request.transactionTimeoutMs,
      ...(current === undefined ? {} : { current }),
    });
    context.txnPartitions.forget(transactionalId);
    return await answer(0, BigInt(given.producerId), given.producerEpoch);
  } catch (error) {
    return answer(txnErrorCode(error, version, fencedFrom), -1n, -1);
  }
}
