/**
 * Kafka frames: every message in both directions is `int32 size` then a header then a body.
 *
 * ```
 * request:  [size i32][api_key i16][api_version i16][correlation_id i32][client_id string16]
 *           ([tagged fields], header v2)[request body]
 * response: [size i32][correlation_id i32]([tagged fields], header v1)[response body]
 * ```
 * Both directions are here, for the broker (decode requests, encode responses) and a client
 * (encode requests, decode responses), all through message-codec.ts.
 */
import { MambaError } from '../errors.js';
import {
  apiSchemas, requestHeaderVersion, responseHeaderVersion, type ApiSchemas,
} from './api-table.js';
import { RequestHeaderSchema, ResponseHeaderSchema } from './generated/messages.js';
import { KafkaReader, malformed } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { readMessage, writeMessage } from './message-codec.js';
import { inRange } from './message-schema.js';

export const FRAME_SIZE_BYTES = 4;

export interface RequestHeaderFields {
  requestApiKey: number;
  requestApiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface DecodedRequest<T = unknown> {
  header: RequestHeaderFields;
  /** Undefined when the API key is unknown to this layer. */
  api: ApiSchemas | undefined;
  body: T;
}

/** What a frame's first bytes say before its body is decoded (always in header v1 layout). */
export function peekRequestHeader(payload: Uint8Array): RequestHeaderFields {
  const reader = new KafkaReader(payload);
  return {
    requestApiKey: reader.int16(), requestApiVersion: reader.int16(),
    correlationId: reader.int32(), clientId: reader.string(false),
  };
}

/**
 * Decodes a request frame's payload (the bytes after the size). Throws `INVALID_REQUEST` for
 * an unknown API key, an unsupported version, a body that does not decode, or bytes left over
 * after it (garbage after a valid request).
 */
export function decodeRequest<T>(payload: Uint8Array): DecodedRequest<T> {
  const peek = peekRequestHeader(payload);
  const api = apiSchemas(peek.requestApiKey);
  if (api === undefined) throw unsupported(peek, 'unknown API key');
  if (!inRange(api.request.versions, peek.requestApiVersion)) {
    throw unsupported(peek, 'unknown version');
  }
  const reader = new KafkaReader(payload);
  const header = readMessage<RequestHeaderFields>(RequestHeaderSchema,
    requestHeaderVersion(api, peek.requestApiVersion), reader);
  const body = readMessage<T>(api.request, peek.requestApiVersion, reader);
  if (reader.remaining !== 0) throw malformed(`${reader.remaining} bytes after the body`,
    reader.position);
  return { header, api, body };
}

function unsupported(header: RequestHeaderFields, reason: string): MambaError {
  return new MambaError('INVALID_REQUEST',
    `${reason}: API ${header.requestApiKey} v${header.requestApiVersion}`,
    { detail: { apiKey: header.requestApiKey, apiVersion: header.requestApiVersion } });
}

/** Encodes a response frame, size prefix included, as chunks to write in order. */
export function encodeResponse(api: ApiSchemas, version: number, correlationId: number,
  body: object): Uint8Array[] {
  const writer = new KafkaWriter();
  writer.int32(0);
  writeMessage(ResponseHeaderSchema, responseHeaderVersion(api, version), { correlationId },
    writer);
  writeMessage(api.response, version, body, writer);
  return sizeFrame(writer);
}

/** Encodes a request frame (the client direction), size prefix included. */
export function encodeRequest(api: ApiSchemas, version: number, correlationId: number,
  clientId: string | null, body: object): Uint8Array[] {
  const writer = new KafkaWriter();
  writer.int32(0);
  writeMessage(RequestHeaderSchema, requestHeaderVersion(api, version), {
    requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId,
  }, writer);
  writeMessage(api.request, version, body, writer);
  return sizeFrame(writer);
}

/** Decodes a response frame's payload (the client direction). */
export function decodeResponse<T>(api: ApiSchemas, version: number,
  payload: Uint8Array): { correlationId: number; body: T } {
  const reader = new KafkaReader(payload);
  const header = readMessage<{ correlationId: number }>(ResponseHeaderSchema,
    responseHeaderVersion(api, version), reader);
  const body = readMessage<T>(api.response, version, reader);
  if (reader.remaining !== 0) throw malformed(`${reader.remaining} bytes after the body`,
    reader.position);
  return { correlationId: header.correlationId, body };
}

function sizeFrame(writer: KafkaWriter): Uint8Array[] {
  const size = writer.sizeBytesWritten - FRAME_SIZE_BYTES;
  const chunks = writer.finish();
  const first = chunks[0];
  new DataView(first.buffer, first.byteOffset, FRAME_SIZE_BYTES).setInt32(0, size);
  return chunks;
}
