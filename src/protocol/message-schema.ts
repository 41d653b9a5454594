/**
 * The shape of the generated message tables (src/protocol/generated/messages.ts): what
 * scripts/kafka-codegen.mjs keeps of each field of Kafka's JSON message schemas.
 *
 * A version range is `[min, max]`, inclusive; `[1, 0]` is the empty range ("none").
 */
export type VersionRange = readonly [number, number];

export type PrimitiveType =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float64' | 'int64'
  | 'string' | 'uuid' | 'bytes' | 'records';

export interface FieldSchema {
  /** camelCase, as in the decoded objects. */
  readonly name: string;
  readonly type: PrimitiveType | 'array' | 'struct';
  /** For an array of primitives: their type. */
  readonly element?: PrimitiveType;
  /** For a struct, or an array of structs: their fields. */
  readonly fields?: readonly FieldSchema[];
  readonly versions: VersionRange;
  readonly nullable?: VersionRange;
  /** Versions in which this field is carried in the tagged-field buffer, with its tag. */
  readonly tagged?: VersionRange;
  readonly tag?: number;
  /** Overrides the message's flexible versions for this field (RequestHeader.ClientId). */
  readonly flexible?: VersionRange;
  /** The value when the field is absent; undefined for a struct (built from its fields). */
  readonly default?: unknown;
}

export interface MessageSchema {
  readonly name: string;
  /** -1 for the headers and data structures. */
  readonly apiKey: number;
  /** 'data': a structure carried inside another message's bytes (ConsumerProtocol). */
  readonly kind: 'request' | 'response' | 'header' | 'data';
  readonly versions: VersionRange;
  readonly flexible: VersionRange;
  readonly fields: readonly FieldSchema[];
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  return range !== undefined && version >= range[0] && version <= range[1];
}
