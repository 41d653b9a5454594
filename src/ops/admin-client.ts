/**
 * A small Kafka admin client over src/protocol, for `mamba groups --bootstrap host:port`
 * against a running `mamba serve`: the group APIs Broker.connect does not offer (ListGroups,
 * DescribeGroups, OffsetFetch, an admin OffsetCommit, DeleteGroups) and the Metadata and
 * ListOffsets they need for lag and resets, one request at a time on one connection. Kafka
 * error codes come back as `MambaError`s: a missing topic or group, or an existing topic, as
 * UNKNOWN_TOPIC, GROUP_ID_NOT_FOUND and TOPIC_EXISTS; the rest as INVALID_REQUEST (or
 * INVALID_CONFIG) with Kafka's name and the broker's message.
 */
import net from 'node:net';
import { MambaError } from '../errors.js';
import {
  ApiKey, FRAME_SIZE_BYTES, KafkaErrors, apiSchemas, decodeResponse, encodeRequest,
  type CreateTopicsRequest, type CreateTopicsResponse, type DeleteTopicsRequest,
  type DeleteTopicsResponse, type ListOffsetsRequest, type ListOffsetsResponse,
  type MetadataRequest, type MetadataResponse, type ListGroupsResponse,
  type DescribeGroupsResponse, type OffsetFetchResponse, type OffsetCommitResponse,
  type DeleteGroupsResponse,
} from '../protocol/index.js';
import type { ResetSource } from './admin-offsets.js';

const versions = {
  [ApiKey.METADATA]: 12, [ApiKey.CREATE_TOPICS]: 7, [ApiKey.DELETE_TOPICS]: 6,
  [ApiKey.LIST_OFFSETS]: 7, [ApiKey.LIST_GROUPS]: 4, [ApiKey.DESCRIBE_GROUPS]: 5,
  [ApiKey.OFFSET_FETCH]: 7, [ApiKey.OFFSET_COMMIT]: 8, [ApiKey.DELETE_GROUPS]: 2,
} as const;
const responseSizeBytesMax = 64 * 1024 * 1024;
const earliest = -2n;
const latest = -1n;

export interface RemoteTopic {
  name: string;
  topicId: string;
  partitions: Array<{ partition: number; logStartOffset: number; highWatermark: number }>;
}

const kafkaNames = new Map<number, string>(
  Object.entries(KafkaErrors).map(([name, { code }]) => [code, name]));

export function kafkaError(errorCode: number, message: string | null, what: string): MambaError {
  const name = kafkaNames.get(errorCode) ?? `error ${errorCode}`;
  const text = `${what}: ${name}${message === null || message === '' ? '' : ` (${message})`}`;
  if (name === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new MambaError('UNKNOWN_TOPIC', text, { detail: { kafkaError: name } });
  }
  if (name === 'GROUP_ID_NOT_FOUND') {
    return new MambaError('GROUP_ID_NOT_FOUND', text, { detail: { kafkaError: name } });
  }
  if (name === 'TOPIC_ALREADY_EXISTS') {
    return new MambaError('TOPIC_EXISTS', text, { detail: { kafkaError: name } });
  }
  return new MambaError(name === 'INVALID_CONFIG' || name === 'INVALID_PARTITIONS' ||
    name === 'INVALID_TOPIC_EXCEPTION' ? 'INVALID_CONFIG' : 'INVALID_REQUEST', text,
  { detail: { kafkaError: name } });
}

export class AdminClient {
  private correlationId = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (payload: Buffer) => void; reject: (e: Error) => void } |
    undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket, readonly address: string) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the broker closed the connection')));
  }

  /** Connects to `host:port`; TIMEOUT or IO_ERROR when it cannot. */
  static connect(host: string, port: number, timeoutMs = 10_000): Promise<AdminClient> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new MambaError('TIMEOUT', `no answer from ${address} in ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new AdminClient(socket, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new MambaError('IO_ERROR', `cannot reach a broker at ${address}: ${error.message}`,
          { cause: error, detail: { address } }));
      });
    });
  }

  async request<T>(apiKey: keyof typeof versions, body: object): Promise<T> {
    if (this.failure !== undefined) throw this.connectionError(this.failure);
    const api = apiSchemas(apiKey)!;
    const version = versions[apiKey];
    const correlationId = ++this.correlationId;
    const answer = new Promise<Buffer>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
    for (const chunk of encodeRequest(api, version, correlationId, 'mamba-admin', body)) {
      this.socket.write(chunk);
    }
    const decoded = decodeResponse<T>(api, version, await answer);
    if (decoded.correlationId !== correlationId) {
      throw new MambaError('INVALID_REQUEST', `${this.address} answered request ` +
        `${decoded.correlationId} to request ${correlationId}`);
    }
    return decoded.body;
  }

  /** Every topic with its partitions' log start and high watermark. */
  async describeTopics(names?: readonly string[]): Promise<RemoteTopic[]> {
    const metadata = await this.request<MetadataResponse>(ApiKey.METADATA, {
      topics: names === undefined ? null :
        names.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })),
      allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    } satisfies MetadataRequest);
    for (const topic of metadata.topics) {
      if (topic.errorCode !== 0) throw kafkaError(topic.errorCode, null, `topic ${topic.name}`);
    }
    const topics = metadata.topics.filter((t) => t.name !== null)
      .sort((a, b) => a.name!.localeCompare(b.name!));
    const starts = await this.listOffsets(topics, earliest);
    const ends = await this.listOffsets(topics, latest);
    return topics.map((topic) => ({
      name: topic.name!, topicId: topic.topicId,
      partitions: topic.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b)
        .map((partition) => ({
          partition, logStartOffset: starts.get(`${topic.name}-${partition}`) ?? -1,
          highWatermark: ends.get(`${topic.name}-${partition}`) ?? -1,
        })),
    }));
  }

  async createTopic(name: string, partitions: number,
    configs: Array<{ name: string; value: string }>): Promise<void> {
    const response = await this.request<CreateTopicsResponse>(ApiKey.CREATE_TOPICS, {
      topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [],
        configs }],
      timeoutMs: 30_000, validateOnly: false,
    } satisfies CreateTopicsRequest);
    const result = response.topics[0];
    if (result.errorCode !== 0) {
      throw kafkaError(result.errorCode, result.errorMessage, `creating topic ${name}`);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const response = await this.request<DeleteTopicsResponse>(ApiKey.DELETE_TOPICS, {
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }], topicNames: [name],
      timeoutMs: 30_000,
    } satisfies DeleteTopicsRequest);
    const result = response.responses[0];
    if (result.errorCode !== 0) {
      throw kafkaError(result.errorCode, result.errorMessage, `deleting topic ${name}`);
    }
  }

  async listGroups(): Promise<Array<{ groupId: string; state: string }>> {
    const response = await this.request<ListGroupsResponse>(ApiKey.LIST_GROUPS,
      { statesFilter: [], typesFilter: [] });
    if (response.errorCode !== 0) throw kafkaError(response.errorCode, null, 'listing groups');
    return response.groups.map((g) => ({ groupId: g.groupId, state: g.groupState }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroup(groupId: string): Promise<{ state: string; members: number }> {
    const response = await this.request<DescribeGroupsResponse>(ApiKey.DESCRIBE_GROUPS,
      { groups: [groupId], includeAuthorizedOperations: false });
    const group = response.groups[0];
    if (group.errorCode !== 0) throw kafkaError(group.errorCode, null, `group ${groupId}`);
    return { state: group.groupState, members: group.members.length };
  }

  /** The group's committed offsets (OffsetFetch for all of its topics). */
  async committedOffsets(groupId: string):
    Promise<Array<{ topic: string; partition: number; offset: number }>> {
    const response = await this.request<OffsetFetchResponse>(ApiKey.OFFSET_FETCH,
      { groupId, topics: null, groups: [], requireStable: false });
    if (response.errorCode !== 0) throw kafkaError(response.errorCode, null, `group ${groupId}`);
    return response.topics.flatMap((t) => t.partitions.filter((p) => p.committedOffset >= 0n)
      .map((p) => ({ topic: t.name, partition: p.partitionIndex,
        offset: Number(p.committedOffset) })))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Commits as an admin (generation -1, no member), which a group with no members takes. */
  async commitOffsets(groupId: string,
    entries: ReadonlyArray<{ topic: string; partition: number; offset: number }>):
    Promise<void> {
    const topics = [...new Set(entries.map((e) => e.topic))].map((name) => ({
      name, partitions: entries.filter((e) => e.topic === name).map((e) => ({
        partitionIndex: e.partition, committedOffset: BigInt(e.offset),
        committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
    }));
    const response = await this.request<OffsetCommitResponse>(ApiKey.OFFSET_COMMIT, {
      groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      retentionTimeMs: -1n, topics,
    });
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        if (p.errorCode !== 0) {
          throw kafkaError(p.errorCode, null, `committing ${topic.name}-${p.partitionIndex} ` +
            `for group ${groupId} (a group with live members commits through them)`);
        }
      }
    }
  }

  async deleteGroup(groupId: string): Promise<void> {
    const response = await this.request<DeleteGroupsResponse>(ApiKey.DELETE_GROUPS,
      { groupsNames: [groupId] });
    const result = response.results[0];
    if (result.errorCode !== 0) {
      throw kafkaError(result.errorCode, null, `deleting group ${groupId}`);
    }
  }

  /** This broker as the source of a reset plan. */
  resetSource(): ResetSource {
    const ranges = new Map<string, RemoteTopic>();
    const topicOf = async (topic: string) => {
      let found = ranges.get(topic);
      if (found === undefined) ranges.set(topic, found = (await this.describeTopics([topic]))[0]);
      return found;
    };
    return {
      committed: async (groupId) => {
        const known = await this.committedOffsets(groupId);
        if (known.length === 0) {
          throw new MambaError('GROUP_ID_NOT_FOUND',
            `group ${JSON.stringify(groupId)} has no committed offsets`, { detail: { groupId } });
        }
        return known;
      },
      partitionCount: async (topic) => (await topicOf(topic)).partitions.length,
      range: async (topic, partition) => {
        const p = (await topicOf(topic)).partitions[partition];
        return { logStartOffset: p.logStartOffset, endOffset: p.highWatermark };
      },
      offsetForTimestamp: async (topic, partition, timestampMs) => {
        const found = await this.listOffsets([{ name: topic, partitions: [{ partitionIndex:
          partition }] }], BigInt(timestampMs));
        // -1: no record at or after the time, so the end of the log (as Kafka resets).
        const offset = found.get(`${topic}-${partition}`) ?? -1;
        return offset >= 0 ? offset : (await topicOf(topic)).partitions[partition].highWatermark;
      },
    };
  }

  close(): void {
    this.socket.destroy();
  }

  private async listOffsets(topics: ReadonlyArray<{ name: string | null;
    partitions: ReadonlyArray<{ partitionIndex: number }> }>, timestamp: bigint):
    Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (topics.length === 0) return found;
    const response = await this.request<ListOffsetsResponse>(ApiKey.LIST_OFFSETS, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 30_000,
      topics: topics.map((t) => ({ name: t.name!, partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1,
      })) })),
    } satisfies ListOffsetsRequest);
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        if (p.errorCode === 0) found.set(`${topic.name}-${p.partitionIndex}`, Number(p.offset));
      }
    }
    return found;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length < FRAME_SIZE_BYTES) return;
    const size = this.buffered.readInt32BE(0);
    if (size < 0 || size > responseSizeBytesMax) {
      this.fail(new Error(`a response frame of ${size} bytes`));
      return;
    }
    if (this.buffered.length < FRAME_SIZE_BYTES + size) return;
    const payload = this.buffered.subarray(FRAME_SIZE_BYTES, FRAME_SIZE_BYTES + size);
    this.buffered = this.buffered.subarray(FRAME_SIZE_BYTES + size);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(payload);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.connectionError(error));
  }

  private connectionError(error: Error): MambaError {
    return new MambaError('IO_ERROR', `connection to ${this.address} failed: ${error.message}`,
      { cause: error, detail: { address: this.address } });
  }
}
