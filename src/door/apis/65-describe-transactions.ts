/**
 * DescribeTransactions (key 65, what `kafka-transactions.sh describe` sends): each named
 * transactional id's state, producer id and epoch, timeout and the partitions of its open
 * transaction, from the coordinator. Describe on the transactional id (else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an unknown id answers TRANSACTIONAL_ID_NOT_FOUND;
 * topics the principal may not Describe are left out (Kafka's rule).
 */
import {
  ApiKey, kafkaErrorCode, type DescribeTransactionsRequest, type DescribeTransactionsResponse,
} from '../../protocol/index.js';
import type { TxnDescription } from '../door-protocol.js';
import { apiHandler } from './api-handler.js';
import { callTxn, txnErrorCode } from './txn-call.js';

type State = DescribeTransactionsResponse['transactionStates'][0];

export const describeTransactionsHandler = apiHandler<DescribeTransactionsRequest,
  DescribeTransactionsResponse>({
  apiKey: ApiKey.DESCRIBE_TRANSACTIONS,
  versions: [0, 0],
  async handle(context, request, version) {
    const ids = request.transactionalIds;
    const allowed = ids.filter((id) => context.allowsTransactionalId('Describe', id));
    let found: Array<TxnDescription | undefined> = [];
    let failure = 0;
    try {
      found = allowed.length === 0 ? [] :
        await callTxn(context, { kind: 'txn-describe', transactionalIds: allowed });
    } catch (error) {
      failure = txnErrorCode(error, version, 0);
    }
    const byId = new Map(allowed.map((id, i) => [id, found[i]]));
    const transactionStates = ids.map((transactionalId): State => {
      const description = byId.get(transactionalId);
      const errorCode = !context.allowsTransactionalId('Describe', transactionalId) ?
        kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED') : failure !== 0 ? failure :
          description === undefined ? kafkaErrorCode('TRANSACTIONAL_ID_NOT_FOUND') : 0;
      if (errorCode !== 0 || description === undefined) return unknown(transactionalId, errorCode);
      const topics = new Map<string, number[]>();
      for (const p of description.partitions) {
        if (!context.allowsTopic('Describe', p.topic)) continue;
        topics.set(p.topic, [...topics.get(p.topic) ?? [], p.partition]);
      }
      return {
        errorCode: 0, transactionalId, transactionState: description.state,
        transactionTimeoutMs: description.transactionTimeoutMs,
        transactionStartTimeMs: description.startedAtMs > 0 ? BigInt(description.startedAtMs) :
          -1n,
        producerId: BigInt(description.producerId), producerEpoch: description.producerEpoch,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      };
    });
    return { throttleTimeMs: 0, transactionStates };
  },
});

function unknown(transactionalId: string, errorCode: number): State {
  return {
    errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0,
    transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
  };
}
