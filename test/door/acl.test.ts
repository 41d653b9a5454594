/**
 * ACLs on the Kafka door (issue 12 §3): with authentication on, a principal may do only what
 * is granted (deny winning, literal and prefixed names, super users), checked in every handler
 * with Kafka's error codes; kafkajs admin manages the ACLs through CreateAcls, DescribeAcls and
 * DeleteAcls.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel,
} from 'kafkajs';
import { Broker } from '../../src/index.js';
import {
  ApiKey, kafkaErrorCode, type CreateTopicsResponse, type DeleteTopicsResponse,
  type DescribeConfigsResponse, type FetchResponse, type FindCoordinatorResponse,
  type InitProducerIdResponse, type ListOffsetsResponse, type MetadataResponse,
  type ProduceResponse,
} from '../../src/protocol/index.js';
import { encodeBatch } from '../../src/records/index.js';
import { AclStore, CredentialStore, type AclEntry } from '../../src/security/index.js';
import { WireClient } from './wire-client.js';

let dir: string;
let dataDir: string;
let broker: Broker;
let port: number;
const open: WireClient[] = [];

const TOPIC_DENIED = kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED');

function acl(principal: string, operation: AclEntry['operation'], resourceType:
  AclEntry['resourceType'], resourceName: string, extra: Partial<AclEntry> = {}): AclEntry {
  return {
    principal, host: '*', resourceType, patternType: 'literal', resourceName, operation,
    permission: 'allow', ...extra,
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-acl-'));
  dataDir = path.join(dir, 'data');
  const users = new CredentialStore(dataDir);
  for (const name of ['writer', 'reader', 'nobody', 'creator', 'admin']) {
    await users.put(name, `${name}-pw`);
  }
  new AclStore(dataDir).add([
    // writer: writes every topic whose name starts with "orders" (prefixed), but not
    // "orders-secret" (deny wins over the prefixed allow).
    acl('User:writer', 'Write', 'topic', 'orders', { patternType: 'prefixed' }),
    acl('User:writer', 'All', 'topic', 'orders-secret', { permission: 'deny' }),
    // reader: Describe on orders (so Produce reaches the Write check), Read on orders-read.
    acl('User:reader', 'Describe', 'topic', 'orders'),
    acl('User:reader', 'Read', 'topic', 'orders-read'),
    acl('User:reader', 'Read', 'group', 'billing'),
    // creator: Create on the cluster.
    acl('User:creator', 'Create', 'cluster', 'kafka-cluster'),
  ]);
  broker = await Broker.open({ dataDir, actors: 1, autoCreateTopics: true });
  for (const topic of ['orders', 'orders-read', 'orders-secret', 'hidden']) {
    await broker.createTopic(topic, { partitions: 1 });
  }
  const producer = broker.producer();
  await producer.send('orders-read', { value: 'r1' });
  await producer.close();
  port = (await broker.listen({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0', superUsers: ['User:admin'],
  })).address().port;
});

afterAll(async () => {
  for (const client of open) client.close();
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A wire client logged in with SASL/PLAIN. */
async function login(user: string): Promise<WireClient> {
  const client = await WireClient.connect(port);
  open.push(client);
  await client.call(ApiKey.SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  const answer = await client.call<{ errorCode: number }>(ApiKey.SASL_AUTHENTICATE, 1,
    { authBytes: Buffer.from(`\0${user}\0${user}-pw`) });
  expect(answer.errorCode).toBe(0);
  return client;
}

async function produceError(client: WireClient, topic: string): Promise<number> {
  const response = await client.call<ProduceResponse>(ApiKey.PRODUCE, 7, {
    transactionalId: null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{
      index: 0, records: encodeBatch([{ key: null, value: new TextEncoder().encode('x') }]),
    }] }],
  });
  return response.responses[0].partitionResponses[0].errorCode;
}

async function fetchError(client: WireClient, topic: string): Promise<number> {
  const response = await client.call<FetchResponse>(ApiKey.FETCH, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic, partitions: [{
      partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n,
      partitionMaxBytes: 1 << 20,
    }] }],
  });
  return response.responses[0].partitions[0].errorCode;
}

async function metadataTopics(client: WireClient, topics: string[] | null):
  Promise<Array<[string | null, number]>> {
  const response = await client.call<MetadataResponse>(ApiKey.METADATA, 6,
    { topics: topics?.map((name) => ({ name })) ?? null, allowAutoTopicCreation: true });
  return response.topics.map((t) => [t.name, t.errorCode]);
}

describe('each handler denies what is not granted', () => {
  it('Produce: Write is needed, a prefixed grant gives it, a deny takes it away', async () => {
    const writer = await login('writer');
    expect(await produceError(writer, 'orders')).toBe(0);
    expect(await produceError(writer, 'orders-read')).toBe(0);
    expect(await produceError(writer, 'orders-secret')).toBe(TOPIC_DENIED);
    expect(await produceError(writer, 'hidden')).toBe(TOPIC_DENIED);
    const reader = await login('reader');
    expect(await produceError(reader, 'orders')).toBe(TOPIC_DENIED);
    // Denied before auto-creation: the topic is not made.
    expect(await produceError(reader, 'orders-new')).toBe(TOPIC_DENIED);
    expect((await broker.listTopics()).includes('orders-new')).toBe(false);
  });

  it('Fetch needs Read; ListOffsets needs Describe', async () => {
    const reader = await login('reader');
    expect(await fetchError(reader, 'orders-read')).toBe(0);
    expect(await fetchError(reader, 'orders')).toBe(TOPIC_DENIED);
    const writer = await login('writer');
    expect(await fetchError(writer, 'orders')).toBe(TOPIC_DENIED);
    const offsets = await reader.call<ListOffsetsResponse>(ApiKey.LIST_OFFSETS, 2, {
      replicaId: -1, isolationLevel: 0, topics: ['orders-read', 'hidden'].map((name) => ({
        name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n,
          maxNumOffsets: 1 }],
      })),
    });
    expect(offsets.topics.map((t) => [t.name, t.partitions[0].errorCode, t.partitions[0].offset]))
      .toEqual([['orders-read', 0, 2n], ['hidden', TOPIC_DENIED, -1n]]); // r1 + writer's
  });

  it('Metadata shows only what the principal may Describe; auto-create needs Create',
    async () => {
      const reader = await login('reader');
      expect((await metadataTopics(reader, null)).map(([name]) => name).sort())
        .toEqual(['orders', 'orders-read']);
      expect(await metadataTopics(reader, ['hidden', 'orders']))
        .toEqual([['hidden', TOPIC_DENIED], ['orders', 0]]);
      const nobody = await login('nobody');
      expect(await metadataTopics(nobody, null)).toEqual([]);
      // writer may describe orders-new (Write implies Describe) but not create it.
      const writer = await login('writer');
      expect(await metadataTopics(writer, ['orders-new']))
        .toEqual([['orders-new', kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION')]]);
      expect((await broker.listTopics()).includes('orders-new')).toBe(false);
    });

  it('CreateTopics needs Create; DeleteTopics needs Delete', async () => {
    const create = (client: WireClient, name: string) =>
      client.call<CreateTopicsResponse>(ApiKey.CREATE_TOPICS, 3, {
        topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [],
          configs: [] }], timeoutMs: 5000, validateOnly: false,
      }).then((r) => r.topics[0].errorCode);
    expect(await create(await login('writer'), 'made-by-writer')).toBe(TOPIC_DENIED);
    expect(await create(await login('creator'), 'made-by-creator')).toBe(0);
    const remove = (client: WireClient, name: string) =>
      client.call<DeleteTopicsResponse>(ApiKey.DELETE_TOPICS, 1, {
        topicNames: [name], timeoutMs: 5000,
      }).then((r) => r.responses[0].errorCode);
    expect(await remove(await login('creator'), 'made-by-creator')).toBe(TOPIC_DENIED);
    expect(await remove(await login('admin'), 'made-by-creator')).toBe(0);
    expect((await broker.listTopics()).sort())
      .toEqual(['hidden', 'orders', 'orders-read', 'orders-secret']);
  });

  it('DescribeConfigs, InitProducerId and FindCoordinator check theirs', async () => {
    const configs = (client: WireClient) =>
      client.call<DescribeConfigsResponse>(ApiKey.DESCRIBE_CONFIGS, 1, {
        resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: null },
          { resourceType: 4, resourceName: '0', configurationKeys: null }],
        includeSynonyms: false,
      }).then((r) => r.results.map((x) => x.errorCode));
    expect(await configs(await login('reader'))).toEqual([TOPIC_DENIED,
      kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED')]);
    expect(await configs(await login('admin'))).toEqual([0, 0]);
    const initProducerId = (client: WireClient) =>
      client.call<InitProducerIdResponse>(ApiKey.INIT_PRODUCER_ID, 1, {
        transactionalId: null, transactionTimeoutMs: 60_000,
      }).then((r) => r.errorCode);
    expect(await initProducerId(await login('reader')))
      .toBe(kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED'));
    // Write on some topic is enough for an idempotent producer, as in Kafka.
    expect(await initProducerId(await login('writer'))).toBe(0);
    const coordinator = (client: WireClient, key: string) =>
      client.call<FindCoordinatorResponse>(ApiKey.FIND_COORDINATOR, 2, { key, keyType: 0 })
        .then((r) => r.errorCode);
    expect(await coordinator(await login('reader'), 'billing')).toBe(0);
    expect(await coordinator(await login('reader'), 'payroll'))
      .toBe(kafkaErrorCode('GROUP_AUTHORIZATION_FAILED'));
  });
});

describe('group APIs', () => {
  it('JoinGroup and OffsetCommit need Read on the group; a granted member consumes',
    async () => {
      const reader = await login('reader');
      const join = await reader.call<{ errorCode: number }>(ApiKey.JOIN_GROUP, 5, {
        groupId: 'payroll', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '',
        groupInstanceId: null, protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
      });
      expect(join.errorCode).toBe(kafkaErrorCode('GROUP_AUTHORIZATION_FAILED'));
      const commit = await reader.call<{ topics: Array<{ partitions: Array<{
        errorCode: number }> }> }>(ApiKey.OFFSET_COMMIT, 5, {
        groupId: 'payroll', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
        retentionTimeMs: -1n, topics: [{ name: 'orders-read', partitions: [{
          partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1,
          committedMetadata: null }] }],
      });
      expect(commit.topics[0].partitions[0].errorCode)
        .toBe(kafkaErrorCode('GROUP_AUTHORIZATION_FAILED'));
      const kafka = new Kafka({
        clientId: 'acl-consumer', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
        sasl: { mechanism: 'scram-sha-512', username: 'reader', password: 'reader-pw' },
        retry: { retries: 2 },
      });
      const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders-read', fromBeginning: true });
      const values: string[] = [];
      const twoRead = new Promise<void>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length === 2) resolve();
        } });
      });
      await twoRead;
      await consumer.disconnect();
      expect(values).toEqual(['r1', 'x']);
    });
});

describe('ACLs through the Kafka admin APIs', () => {
  function admin(user: string) {
    return new Kafka({
      clientId: 'acl-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-256', username: user, password: `${user}-pw` },
      retry: { retries: 0 },
    }).admin();
  }

  it('kafkajs admin creates, describes and deletes ACLs; the door obeys at once', async () => {
    const nobody = await login('nobody');
    expect(await fetchError(nobody, 'hidden')).toBe(TOPIC_DENIED);
    const root = admin('admin');
    await root.connect();
    const grant = {
      resourceType: AclResourceTypes.TOPIC, resourceName: 'hid',
      resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:nobody', host: '*',
      operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW,
    };
    await root.createAcls({ acl: [grant] });
    expect(await fetchError(nobody, 'hidden')).toBe(0);
    const described = await root.describeAcls({
      resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
      principal: 'User:nobody', operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    expect(described.resources).toEqual([{
      resourceType: AclResourceTypes.TOPIC, resourceName: 'hid',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      acls: [{ principal: 'User:nobody', host: '*', operation: AclOperationTypes.READ,
        permissionType: AclPermissionTypes.ALLOW }],
    }]);
    const deleted = await root.deleteAcls({ filters: [{
      resourceType: AclResourceTypes.TOPIC, resourceName: 'hid',
      resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:nobody',
      operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
    }] });
    expect(deleted.filterResponses[0].matchingAcls).toHaveLength(1);
    expect(await fetchError(nobody, 'hidden')).toBe(TOPIC_DENIED);
    expect(new AclStore(dataDir).list({ principal: 'User:nobody' })).toEqual([]);
    await root.disconnect();
  });

  it('refuses ACL changes without Alter on the cluster', async () => {
    const client = admin('writer');
    await client.connect();
    const error = await client.createAcls({ acl: [{
      resourceType: AclResourceTypes.TOPIC, resourceName: 'orders',
      resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:writer', host: '*',
      operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW,
    }] }).then(() => undefined, (e: Error & { type?: string }) => e);
    expect(error?.type ?? error?.message).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
    await client.disconnect();
  });
});
