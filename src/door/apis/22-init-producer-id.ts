/**
 * InitProducerId (key 22), for idempotent producers: a fresh random 47-bit producer id (the
 * same scheme as embedded idempotent producers: unique without a registry across restarts)
 * with epoch 0; a producer that names its current id and epoch (KIP-360, v3+) gets the epoch
 * bumped. The sequence rules themselves are the actors' (segments/producer-state.ts).
 * Transactions are not served: a transactional id is refused. With authorization on, an
 * idempotent producer needs IdempotentWrite on the cluster or Write on some topic (Kafka's
 * rule), else CLUSTER_AUTHORIZATION_FAILED.
 */
import { randomInt } from 'node:crypto';
import {
  ApiKey, kafkaErrorCode, type InitProducerIdRequest, type InitProducerIdResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';

const epochMax = 0x7ffe;

export const initProducerIdHandler = apiHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.INIT_PRODUCER_ID,
  versions: [0, 5],
  handle(context, request) {
    const answer = (errorCode: number, producerId: bigint, producerEpoch: number) =>
      Promise.resolve({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    if (request.transactionalId !== null) {
      return answer(kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), -1n, -1);
    }
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
