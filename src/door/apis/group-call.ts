/**
 * The consumer-group handlers' one way to the broker: a classic group request (see
 * ../../coordinator/classic-requests.ts) sent over the broker link to the main thread, whose
 * group registry is the one embedded consumers use. Also the checks every group API shares.
 */
import { groupIdLengthMax } from '../../constants.js';
import type { ClassicError, ClassicReplies, ClassicRequest } from '../../coordinator/index.js';
import { kafkaErrorCode } from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';

export function callGroups<T extends ClassicRequest['type']>(context: DoorContext,
  request: ClassicRequest & { type: T }): Promise<ClassicReplies[T]> {
  return context.broker.call({ kind: 'group', request }) as Promise<ClassicReplies[T]>;
}

export function errorCodeOf(error: ClassicError): number {
  return error === null ? 0 : kafkaErrorCode(error);
}

/** Kafka's rule for group ids: not empty (and Mamba's bound on their length). */
export function isValidGroupId(groupId: string): boolean {
  return groupId.length > 0 && groupId.length <= groupIdLengthMax;
}
