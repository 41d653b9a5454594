/**
 * TxnOffsetCommit (key 28): a consumer group's offsets, committed only when the transaction
 * commits (the coordinator holds them pending, discards them on abort). Kafka's checks: Write
 * on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED everywhere), Read on the
 * group (GROUP_AUTHORIZATION_FAILED everywhere), Read on each topic (TOPIC_AUTHORIZATION_FAILED
 * for its partitions), the topic exists (UNKNOWN_TOPIC_OR_PARTITION); the partitions that pass
 * go to the coordinator in one call, whose answer is theirs. From v3 the member's id and
 * generation come along: a member the group no longer has (UNKNOWN_MEMBER_ID), an older
 * generation (ILLEGAL_GENERATION) or a fenced static member (FENCED_INSTANCE_ID) is refused
 * before anything is recorded (KIP-447: a zombie's offsets never commit). Producer fencing
 * answers INVALID_PRODUCER_EPOCH in every version, as Kafka does for this API.
 */
import {
  ApiKey, kafkaErrorCode, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { TxnMember, TxnOffset } from '../door-protocol.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';
import { callTxn, txnOutcome, txnProducer } from './txn-call.js';

const neverFenced = Infinity;

export const txnOffsetCommitHandler = apiHandler<TxnOffsetCommitRequest,
  TxnOffsetCommitResponse>({
  apiKey: ApiKey.TXN_OFFSET_COMMIT,
  versions: [0, 4],
  async handle(context, request, version) {
    const all = (errorCode: number) => request.topics.map(() => errorCode);
    const codes = !context.allowsTransactionalId('Write', request.transactionalId) ?
      all(kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED')) :
      !context.allowsGroup('Read', request.groupId) ?
        all(kafkaErrorCode('GROUP_AUTHORIZATION_FAILED')) :
        !isValidGroupId(request.groupId) ? all(kafkaErrorCode('INVALID_GROUP_ID')) :
          await commit(context, request, version);
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t, i) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex, errorCode: codes[i],
        })),
      })),
    };
  },
});

/** Each topic's answer: its own refusal, or the coordinator's one answer for all that pass. */
async function commit(context: DoorContext, request: TxnOffsetCommitRequest,
  version: number): Promise<number[]> {
  const codes = await Promise.all(request.topics.map(async (t) =>
    !context.allowsTopic('Read', t.name) ? kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED') :
      await context.topics.lookup(t.name) === undefined ?
        kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION') : 0));
  const offsets: TxnOffset[] = request.topics.flatMap((t, i) => codes[i] !== 0 ? [] :
    t.partitions.map((p) => ({
      topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset),
      metadata: p.committedMetadata,
    })));
  if (offsets.length === 0) return codes;
  const member: TxnMember | undefined = version >= 3 && request.memberId !== '' ? {
    memberId: request.memberId, generationId: request.generationId,
    groupInstanceId: request.groupInstanceId,
  } : undefined;
  if (member !== undefined) {
    const refused = errorCodeOf(await callGroups(context, {
      type: 'check-txn-committer', groupId: request.groupId, member: {
        memberId: member.memberId, generation: member.generationId,
        instanceId: member.groupInstanceId ?? null,
      },
    }));
    if (refused !== 0) return codes.map((code) => code === 0 ? refused : code);
  }
  const outcome = await txnOutcome(callTxn(context, {
    kind: 'txn-offset-commit', groupId: request.groupId, offsets,
    producer: txnProducer(request.transactionalId, request.producerId, request.producerEpoch),
    ...(member === undefined ? {} : { member }),
  }), version, neverFenced);
  return codes.map((code) => code === 0 ? outcome : code);
}
