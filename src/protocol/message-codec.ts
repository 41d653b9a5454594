/**
 * One reader and one writer for every Kafka message, in both directions, driven by the
 * generated tables (generated/messages.ts): the broker decodes requests and encodes responses
 * with them, and a client can encode requests and decode responses with the same two calls.
 *
 * Encoding rules (Kafka's protocol guide, "Protocol Primitive Types"), for a message version v:
 * - a field exists in v when v is in its `versions`; absent fields decode to their default;
 * - the message is flexible in v when v is in its `flexible` range (a field may opt out, as
 *   RequestHeader.ClientId does): strings, bytes, records and arrays then use compact forms
 *   (unsigned varint N+1, 0 for null), and every struct ends with a tagged-field buffer;
 * - a field tagged in v is not written in place but in its struct's tagged-field buffer
 *   (uvarint count, then uvarint tag, uvarint size and the value, in increasing tag order),
 *   and only when it differs from its default; unknown tags are skipped when reading.
 * Records are raw bytes: decoding gives a zero-copy view of the frame.
 */
import { assert, assertNever } from '../assert.js';
import { KafkaReader, malformed } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import {
  inRange, type FieldSchema, type MessageSchema, type PrimitiveType,
} from './message-schema.js';

type Value = unknown;
type Struct = Record<string, Value>;

interface Context {
  version: number;
  flexible: boolean;
}

/** Decodes one message body of `schema` at `version` from `reader`. */
export function readMessage<T>(schema: MessageSchema, version: number, reader: KafkaReader): T {
  const context = { version, flexible: inRange(schema.flexible, version) };
  return readStruct(schema.fields, context, reader) as T;
}

/** Encodes one message body of `schema` at `version` into `writer`. */
export function writeMessage(schema: MessageSchema, version: number, value: object,
  writer: KafkaWriter): void {
  const context = { version, flexible: inRange(schema.flexible, version) };
  writeStruct(schema.fields, context, value as Struct, writer);
}

/** A message object with every field at its default, for building responses. */
export function defaultsOf<T>(schema: MessageSchema): T {
  return defaultStruct(schema.fields) as T;
}

function defaultStruct(fields: readonly FieldSchema[]): Struct {
  const out: Struct = {};
  for (const field of fields) out[field.name] = defaultValue(field);
  return out;
}

function defaultValue(field: FieldSchema): Value {
  if (field.type === 'struct') return defaultStruct(field.fields!);
  if (field.type === 'array') return field.default === null ? null : [];
  return field.default;
}

function isCompact(field: FieldSchema, context: Context): boolean {
  if (!context.flexible) return false;
  return field.flexible === undefined || inRange(field.flexible, context.version);
}

function isNullable(field: FieldSchema, version: number): boolean {
  return inRange(field.nullable, version);
}

function readStruct(fields: readonly FieldSchema[], context: Context, reader: KafkaReader): Struct {
  const out: Struct = {};
  for (const field of fields) {
    if (!inRange(field.versions, context.version) || inRange(field.tagged, context.version)) {
      out[field.name] = defaultValue(field);
      continue;
    }
    out[field.name] = readField(field, context, reader);
  }
  if (context.flexible) readTaggedFields(fields, context, reader, out);
  return out;
}

function readTaggedFields(fields: readonly FieldSchema[], context: Context, reader: KafkaReader,
  out: Struct): void {
  const count = reader.uvarint();
  if (count > reader.remaining) throw malformed(`tag count ${count}`, reader.position);
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    const size = reader.uvarint();
    const start = reader.position;
    reader.skip(size);
    const field = fields.find((f) => f.tag === tag && inRange(f.tagged, context.version));
    if (field === undefined) continue;
    const sub = new KafkaReader(reader.bytes, start, start + size);
    out[field.name] = readField(field, context, sub);
  }
}

function readField(field: FieldSchema, context: Context, reader: KafkaReader): Value {
  const compact = isCompact(field, context);
  const at = reader.position;
  let value: Value;
  if (field.type === 'struct') {
    value = readStruct(field.fields!, context, reader);
  } else if (field.type === 'array') {
    const count = reader.arrayCount(compact);
    if (count < 0) {
      value = null;
    } else {
      const items: Value[] = new Array(count);
      for (let i = 0; i < count; i++) {
        items[i] = field.fields !== undefined ? readStruct(field.fields, context, reader) :
          readPrimitive(field.element!, compact, reader);
      }
      value = items;
    }
  } else {
    value = readPrimitive(field.type, compact, reader);
  }
  if (value === null && !isNullable(field, context.version) && field.type !== 'records') {
    throw malformed(`${field.name} is null`, at);
  }
  return value;
}

function readPrimitive(type: PrimitiveType, compact: boolean, reader: KafkaReader): Value {
  switch (type) {
    case 'bool': return reader.bool();
    case 'int8': return reader.int8();
    case 'int16': return reader.int16();
    case 'uint16': return reader.uint16();
    case 'int32': return reader.int32();
    case 'uint32': return reader.uint32();
    case 'int64': return reader.int64();
    case 'float64': return reader.float64();
    case 'uuid': return reader.uuid();
    case 'string': return reader.string(compact);
    case 'bytes': case 'records': return reader.bytesView(compact);
    default: return assertNever(type, 'primitive type');
  }
}

function writeStruct(fields: readonly FieldSchema[], context: Context, value: Struct,
  writer: KafkaWriter): void {
  for (const field of fields) {
    if (!inRange(field.versions, context.version) || inRange(field.tagged, context.version)) {
      continue;
    }
    const given = value[field.name];
    writeField(field, context, given === undefined ? defaultValue(field) : given, writer);
  }
  if (context.flexible) writeTaggedFields(fields, context, value, writer);
}

function writeTaggedFields(fields: readonly FieldSchema[], context: Context, value: Struct,
  writer: KafkaWriter): void {
  const tagged = fields
    .filter((f) => inRange(f.tagged, context.version) && inRange(f.versions, context.version))
    .filter((f) => value[f.name] !== undefined && !isDefault(f, value[f.name]))
    .sort((a, b) => a.tag! - b.tag!);
  writer.uvarint(tagged.length);
  for (const field of tagged) {
    const sub = new KafkaWriter();
    writeField(field, context, value[field.name], sub);
    const bytes = sub.toBytes();
    writer.uvarint(field.tag!);
    writer.uvarint(bytes.length);
    writer.raw(bytes);
  }
}

function isDefault(field: FieldSchema, value: Value): boolean {
  if (field.type === 'array') return Array.isArray(value) ? value.length === 0 : value === null;
  if (field.type === 'struct') {
    const struct = value as Struct;
    return field.fields!.every((f) => isDefault(f, struct[f.name] ?? defaultValue(f)));
  }
  if (value instanceof Uint8Array) return value.length === 0 && field.default !== null;
  return value === field.default;
}

function writeField(field: FieldSchema, context: Context, value: Value,
  writer: KafkaWriter): void {
  const compact = isCompact(field, context);
  if (value === null) {
    assert(isNullable(field, context.version) || field.type === 'records' ||
      field.type === 'bytes', `${field.name} may be null in v${context.version}`);
    if (field.type === 'array') writer.length(-1, compact, true);
    else if (field.type === 'string') writer.string(null, compact);
    else writer.bytes(null, compact);
    return;
  }
  if (field.type === 'struct') {
    writeStruct(field.fields!, context, value as Struct, writer);
  } else if (field.type === 'array') {
    const items = value as Value[];
    writer.length(items.length, compact, true);
    for (const item of items) {
      if (field.fields !== undefined) writeStruct(field.fields, context, item as Struct, writer);
      else writePrimitive(field.element!, compact, item, writer);
    }
  } else {
    writePrimitive(field.type, compact, value, writer);
  }
}

function writePrimitive(type: PrimitiveType, compact: boolean, value: Value,
  writer: KafkaWriter): void {
  switch (type) {
    case 'bool': return writer.bool(value as boolean);
    case 'int8': return writer.int8(value as number);
    case 'int16': return writer.int16(value as number);
    case 'uint16': return writer.uint16(value as number);
    case 'int32': return writer.int32(value as number);
    case 'uint32': return writer.uint32(value as number);
    case 'int64': return writer.int64(BigInt(value as bigint));
    case 'float64': return writer.float64(value as number);
    case 'uuid': return writer.uuid(value as string);
    case 'string': return writer.string(value as string, compact);
    case 'bytes': case 'records': return writer.bytes(value as Uint8Array, compact);
    default: return assertNever(type, 'primitive type');
  }
}
