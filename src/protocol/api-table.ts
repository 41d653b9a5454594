/**
 * The Kafka APIs this protocol layer knows: for each API key its request and response tables,
 * and the header versions a message version travels with. Adding an API is adding its two
 * schemas to schema/kafka/, regenerating, and a line here.
 */
import * as m from './generated/messages.js';
import { inRange, type MessageSchema } from './message-schema.js';

export interface ApiSchemas {
  apiKey: number;
  name: string;
  request: MessageSchema;
  response: MessageSchema;
}

export const ApiKey = {
  PRODUCE: 0, FETCH: 1, LIST_OFFSETS: 2, METADATA: 3, OFFSET_COMMIT: 8, OFFSET_FETCH: 9,
  FIND_COORDINATOR: 10, JOIN_GROUP: 11, HEARTBEAT: 12, LEAVE_GROUP: 13, SYNC_GROUP: 14,
  DESCRIBE_GROUPS: 15, LIST_GROUPS: 16, API_VERSIONS: 18, CREATE_TOPICS: 19,
  DELETE_TOPICS: 20, INIT_PRODUCER_ID: 22, DESCRIBE_CONFIGS: 32, DELETE_GROUPS: 42,
  SASL_HANDSHAKE: 17, SASL_AUTHENTICATE: 36, DESCRIBE_ACLS: 29, CREATE_ACLS: 30, DELETE_ACLS: 31,
  ADD_PARTITIONS_TO_TXN: 24, ADD_OFFSETS_TO_TXN: 25, END_TXN: 26, TXN_OFFSET_COMMIT: 28,
  DESCRIBE_TRANSACTIONS: 65, LIST_TRANSACTIONS: 66,
} as const;

const pairs: Array<[MessageSchema, MessageSchema]> = [
  [m.ProduceRequestSchema, m.ProduceResponseSchema],
  [m.FetchRequestSchema, m.FetchResponseSchema],
  [m.ListOffsetsRequestSchema, m.ListOffsetsResponseSchema],
  [m.MetadataRequestSchema, m.MetadataResponseSchema],
  [m.OffsetCommitRequestSchema, m.OffsetCommitResponseSchema],
  [m.OffsetFetchRequestSchema, m.OffsetFetchResponseSchema],
  [m.FindCoordinatorRequestSchema, m.FindCoordinatorResponseSchema],
  [m.JoinGroupRequestSchema, m.JoinGroupResponseSchema],
  [m.HeartbeatRequestSchema, m.HeartbeatResponseSchema],
  [m.LeaveGroupRequestSchema, m.LeaveGroupResponseSchema],
  [m.SyncGroupRequestSchema, m.SyncGroupResponseSchema],
  [m.DescribeGroupsRequestSchema, m.DescribeGroupsResponseSchema],
  [m.ListGroupsRequestSchema, m.ListGroupsResponseSchema],
  [m.ApiVersionsRequestSchema, m.ApiVersionsResponseSchema],
  [m.CreateTopicsRequestSchema, m.CreateTopicsResponseSchema],
  [m.DeleteTopicsRequestSchema, m.DeleteTopicsResponseSchema],
  [m.InitProducerIdRequestSchema, m.InitProducerIdResponseSchema],
  [m.DescribeConfigsRequestSchema, m.DescribeConfigsResponseSchema],
  [m.DeleteGroupsRequestSchema, m.DeleteGroupsResponseSchema],
  [m.SaslHandshakeRequestSchema, m.SaslHandshakeResponseSchema],
  [m.SaslAuthenticateRequestSchema, m.SaslAuthenticateResponseSchema],
  [m.DescribeAclsRequestSchema, m.DescribeAclsResponseSchema],
  [m.CreateAclsRequestSchema, m.CreateAclsResponseSchema],
  [m.DeleteAclsRequestSchema, m.DeleteAclsResponseSchema],
  [m.AddPartitionsToTxnRequestSchema, m.AddPartitionsToTxnResponseSchema],
  [m.AddOffsetsToTxnRequestSchema, m.AddOffsetsToTxnResponseSchema],
  [m.EndTxnRequestSchema, m.EndTxnResponseSchema],
  [m.TxnOffsetCommitRequestSchema, m.TxnOffsetCommitResponseSchema],
  [m.DescribeTransactionsRequestSchema, m.DescribeTransactionsResponseSchema],
  [m.ListTransactionsRequestSchema, m.ListTransactionsResponseSchema],
];

const byKey = new Map<number, ApiSchemas>(pairs.map(([request, response]) => [request.apiKey, {
  apiKey: request.apiKey, name: request.name.replace(/Request$/, ''), request, response,
}]));

export function apiSchemas(apiKey: number): ApiSchemas | undefined {
  return byKey.get(apiKey);
}

export function isFlexible(api: ApiSchemas, version: number): boolean {
  return inRange(api.request.flexible, version);
}

/** Request header v2 for flexible versions, else v1 (v0 is only ControlledShutdown v0). */
export function requestHeaderVersion(api: ApiSchemas, version: number): number {
  return isFlexible(api, version) ? 2 : 1;
}

/**
 * Response header v1 (with tagged fields) for flexible versions, else v0. ApiVersions always
 * answers with v0, so that a client can read the answer whatever version it asked for.
 */
export function responseHeaderVersion(api: ApiSchemas, version: number): number {
  if (api.apiKey === ApiKey.API_VERSIONS) return 0;
  return isFlexible(api, version) ? 1 : 0;
}
