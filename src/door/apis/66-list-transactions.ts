/**
 * ListTransactions (key 66, `kafka-transactions.sh list`): the coordinator's transactional ids
 * with their producer id and state, filtered by state, producer id and (v1) how long the open
 * transaction has run. Only the ids the principal may Describe are listed (Kafka's rule);
 * state names Kafka does not know are answered in unknownStateFilters.
 */
import {
  ApiKey, type ListTransactionsRequest, type ListTransactionsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { callTxn, txnErrorCode } from './txn-call.js';

const STATES = new Set([
  'Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead',
  'PrepareEpochFence',
]);

export const listTransactionsHandler = apiHandler<ListTransactionsRequest,
  ListTransactionsResponse>({
  apiKey: ApiKey.LIST_TRANSACTIONS,
  versions: [0, 1],
  async handle(context, request, version) {
    const unknownStateFilters = request.stateFilters.filter((state) => !STATES.has(state));
    const states = new Set(request.stateFilters);
    const producerIds = new Set(request.producerIdFilters.map(Number));
    const now = Date.now();
    try {
      const all = await callTxn(context, { kind: 'txn-list' });
      const transactionStates = all.filter((t) =>
        context.allowsTransactionalId('Describe', t.transactionalId) &&
        (states.size === 0 || states.has(t.state)) &&
        (producerIds.size === 0 || producerIds.has(t.producerId)) &&
        (version < 1 || request.durationFilter < 0n ||
          (t.state === 'Ongoing' && now - t.startedAtMs > Number(request.durationFilter))))
        .map((t) => ({
          transactionalId: t.transactionalId, producerId: BigInt(t.producerId),
          transactionState: t.state,
        }));
      return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters, transactionStates };
    } catch (error) {
      return {
        throttleTimeMs: 0, errorCode: txnErrorCode(error, version, 0), unknownStateFilters,
        transactionStates: [],
      };
    }
  },
});
