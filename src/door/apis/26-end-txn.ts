/**
 * EndTxn (key 26): commit or abort the producer's open transaction. The coordinator answers
 * once the transaction is complete (markers durable in every partition, offsets applied), so a
 * read_committed consumer that fetches after the answer sees a committed transaction whole.
 * Needs Write on the transactional id. Versions 0-4: v5 (KIP-890 part 2, an epoch bump per
 * transaction) is not served.
 */
import {
  ApiKey, kafkaErrorCode, type EndTxnRequest, type EndTxnResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callTxn, txnOutcome, txnProducer } from './txn-call.js';

/** The first version whose clients know PRODUCER_FENCED (KIP-588). */
const fencedFrom = 2;

export const endTxnHandler = apiHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.END_TXN,
  versions: [0, 4],
  async handle(context, request, version) {
    const producer = txnProducer(request.transactionalId, request.producerId,
      request.producerEpoch);
    const respond = (errorCode: number) => ({
      throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1,
    });
    if (!context.allowsTransactionalId('Write', request.transactionalId)) {
      return respond(kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
    }
    const errorCode = await txnOutcome(callTxn(context, {
      kind: 'txn-end', producer, commit: request.committed,
    }), version, fencedFrom);
    // The next transaction adds its own partitions; should this one still be open (a failed
    // call), Produce asks the coordinator what it holds.
    context.txnPartitions.forget(request.transactionalId);
    return respond(errorCode);
  },
});
