/**
 * AddPartitionsToTxn (key 24), the client versions 0-3 (v4+ batch several transactions and
 * are sent by brokers to verify a partition: not served). Kafka's checks first: Write on the
 * transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition), Write on
 * each topic (TOPIC_AUTHORIZATION_FAILED), the partition exists (UNKNOWN_TOPIC_OR_PARTITION);
 * when any partition fails them the coordinator is not asked and the others answer
 * OPERATION_NOT_ATTEMPTED. Otherwise the coordinator adds them all or none: its one answer is
 * every partition's, and the partitions added are remembered for Produce's check.
 */
import {
  ApiKey, kafkaErrorCode, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { TxnPartition } from '../door-protocol.js';
import { apiHandler } from './api-handler.js';
import { callTxn, identityOf, txnOutcome, txnProducer } from './txn-call.js';

type TopicResult = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'][0];

/** The first version whose clients know PRODUCER_FENCED (KIP-588). */
const fencedFrom = 2;

export const addPartitionsToTxnHandler = apiHandler<AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse>({
  apiKey: ApiKey.ADD_PARTITIONS_TO_TXN,
  versions: [0, 3],
  async handle(context, request, version) {
    const producer = txnProducer(request.v3AndBelowTransactionalId,
      request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch);
    const topics = request.v3AndBelowTopics;
    const respond = (code: (topic: string, partition: number) => number) => ({
      throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [],
      resultsByTopicV3AndBelow: topics.map((t): TopicResult => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partition) => ({
          partitionIndex: partition, partitionErrorCode: code(t.name, partition),
        })),
      })),
    });
    if (!context.allowsTransactionalId('Write', producer.transactionalId)) {
      return respond(() => kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
    }
    const refused = await refusals(context, topics);
    if (refused.size > 0) {
      const notAttempted = kafkaErrorCode('OPERATION_NOT_ATTEMPTED');
      return respond((topic, partition) => refused.get(`${topic}\u0000${partition}`) ??
        notAttempted);
    }
    const partitions: TxnPartition[] = topics.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.name, partition })));
    const errorCode = await txnOutcome(
      callTxn(context, { kind: 'txn-add-partitions', producer, partitions }), version, fencedFrom);
    if (errorCode === 0) {
      context.txnPartitions.add(producer.transactionalId, identityOf(producer), partitions);
    }
    return respond(() => errorCode);
  },
});

/** The partitions Kafka refuses before asking the coordinator, with their error codes. */
async function refusals(context: DoorContext,
  topics: AddPartitionsToTxnRequest['v3AndBelowTopics']): Promise<Map<string, number>> {
  const refused = new Map<string, number>();
  for (const t of topics) {
    const topic = await context.topics.lookup(t.name);
    const writable = context.allowsTopic('Write', t.name);
    for (const partition of t.partitions) {
      const code = !writable ? kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED') :
        topic === undefined || partition < 0 || partition >= topic.partitionCount ?
          kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION') : 0;
      if (code !== 0) refused.set(`${t.name}\u0000${partition}`, code);
    }
  }
  return refused;
}
