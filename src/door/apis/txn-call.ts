/**
 * The transaction handlers' one way to the broker: a call over the broker link to the main
 * thread's transaction coordinator (door-protocol.ts, `txn-*` kinds), and the mapping of its
 * errors to Kafka's codes. The coordinator's MambaErrors carry Kafka error names as their
 * codes (INVALID_TXN_STATE, CONCURRENT_TRANSACTIONS, …), which pass through; other Mamba codes
 * map as everywhere else in the door (kafkaCodeOf).
 */
import { MambaError } from '../../errors.js';
import {
  KafkaErrors, kafkaCodeOf, kafkaErrorCode, type KafkaErrorName,
} from '../../protocol/index.js';
import type {
  BrokerCall, BrokerCallResults, ProducerIdentity, TxnProducer,
} from '../door-protocol.js';
import type { DoorContext } from '../door-context.js';

type TxnKind = Extract<BrokerCall['kind'], `txn-${string}`>;

export function callTxn<K extends TxnKind>(context: DoorContext,
  call: Extract<BrokerCall, { kind: K }>): Promise<BrokerCallResults[K]> {
  return context.broker.call(call);
}

/**
 * The Kafka error code of a coordinator failure. PRODUCER_FENCED exists on the wire only from
 * the version `fencedFrom` of each API on (KIP-588); older clients get INVALID_PRODUCER_EPOCH,
 * as Kafka answers them.
 */
export function txnErrorCode(error: unknown, version: number, fencedFrom: number): number {
  if (!(error instanceof MambaError)) return kafkaErrorCode('UNKNOWN_SERVER_ERROR');
  const named = error.detail?.kafkaName;
  const code: string = error.code === 'KAFKA_ERROR' && typeof named === 'string' ?
    named : error.code;
  if (code === 'PRODUCER_FENCED' && version < fencedFrom) {
    return kafkaErrorCode('INVALID_PRODUCER_EPOCH');
  }
  if (Object.hasOwn(KafkaErrors, code)) return kafkaErrorCode(code as KafkaErrorName);
  return kafkaCodeOf(error.code);
}

/** Runs a coordinator call: 0 when it succeeds, else its Kafka error code. */
export async function txnOutcome(call: Promise<unknown>, version: number,
  fencedFrom: number): Promise<number> {
  try {
    await call;
    return 0;
  } catch (error) {
    return txnErrorCode(error, version, fencedFrom);
  }
}

/** A request's producer fields as the broker call's producer (ids fit in 53 bits). */
export function txnProducer(transactionalId: string, producerId: bigint,
  producerEpoch: number): TxnProducer {
  return { transactionalId, producerId: Number(producerId), producerEpoch };
}

export function identityOf(producer: TxnProducer): ProducerIdentity {
  return { producerId: producer.producerId, producerEpoch: producer.producerEpoch };
}
