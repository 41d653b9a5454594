/**
 * ACLs on transactions (Kafka's rules on the TransactionalId resource): Write for
 * InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit and a Produce of
 * transactional batches; Describe for FindCoordinator key type 1, DescribeTransactions and
 * ListTransactions; plus Write on the topics added, Read on the group; and kafkajs admin
 * creating a TransactionalId ACL (resource type 5) that the door obeys at once; `mamba acls
 * add|list --transactional-id`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel,
} from 'kafkajs';
import { main } from '../../src/cli/main.js';
import { Broker } from '../../src/index.js';
import {
  ApiKey, kafkaErrorCode, type AddOffsetsToTxnResponse, type AddPartitionsToTxnResponse,
  type DescribeTransactionsResponse, type EndTxnResponse, type FindCoordinatorResponse,
  type InitProducerIdResponse, type ListTransactionsResponse, type ProduceResponse,
} from '../../src/protocol/index.js';
import { ATTRIBUTE_TRANSACTIONAL, encodeBatch } from '../../src/records/index.js';
import { AclStore, CredentialStore, type AclEntry } from '../../src/security/index.js';
import { WireClient } from './wire-client.js';

let dir: string;
let broker: Broker;
let port: number;
const open: WireClient[] = [];
const ID_DENIED = kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');

function acl(principal: string, operation: AclEntry['operation'],
  resourceType: AclEntry['resourceType'], resourceName: string,
  patternType: AclEntry['patternType'] = 'literal'): AclEntry {
  return {
    principal, host: '*', resourceType, patternType, resourceName, operation,
    permission: 'allow',
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-txn-acl-'));
  const dataDir = path.join(dir, 'data');
  const users = new CredentialStore(dataDir);
  for (const name of ['txwriter', 'txreader', 'nobody', 'admin']) {
    await users.put(name, `${name}-pw`);
  }
  // The CLI grants the prefixed transactional id (what an operator types).
  expect(await main(['acls', 'add', '--data-dir', dataDir, '--allow-principal', 'User:txwriter',
    '--operation', 'Write', '--transactional-id', 'tx-', '--resource-pattern-type', 'prefixed']))
    .toBe(0);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
  try {
    expect(await main(['acls', 'list', '--data-dir', dataDir, '--transactional-id', 'tx-']))
      .toBe(0);
  } finally {
    log.mockRestore();
  }
  expect(lines).toEqual(['allow User:txwriter Write transactionalId:tx-*']);
  new AclStore(dataDir).add([
    acl('User:txwriter', 'Write', 'topic', 'orders'),
    acl('User:txreader', 'Describe', 'transactionalId', 'tx-a'),
    acl('User:txreader', 'Write', 'topic', 'orders'),
  ]);
  broker = await Broker.open({ dataDir, actors: 1 });
  for (const topic of ['orders', 'hidden']) await broker.createTopic(topic, { partitions: 1 });
  port = (await broker.listen({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0', superUsers: ['User:admin'],
  })).address().port;
});

afterAll(async () => {
  for (const client of open) client.close();
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function login(user: string): Promise<WireClient> {
  const client = await WireClient.connect(port);
  open.push(client);
  await client.call(ApiKey.SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  const answer = await client.call<{ errorCode: number }>(ApiKey.SASL_AUTHENTICATE, 1,
    { authBytes: Buffer.from(`\0${user}\0${user}-pw`) });
  expect(answer.errorCode).toBe(0);
  return client;
}

const findCoordinator = (client: WireClient, key: string) =>
  client.call<FindCoordinatorResponse>(ApiKey.FIND_COORDINATOR, 2, { key, keyType: 1 })
    .then((r) => r.errorCode);

const init = (client: WireClient, transactionalId: string) =>
  client.call<InitProducerIdResponse>(ApiKey.INIT_PRODUCER_ID, 1,
    { transactionalId, transactionTimeoutMs: 60_000 });

function addPartitions(client: WireClient, id: string, producerId: bigint, epoch: number,
  topics: string[]) {
  return client.call<AddPartitionsToTxnResponse>(ApiKey.ADD_PARTITIONS_TO_TXN, 1, {
    v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: epoch,
    v3AndBelowTopics: topics.map((name) => ({ name, partitions: [0] })),
  }).then((r) => r.resultsByTopicV3AndBelow.map((t) =>
    [t.name, t.resultsByPartition[0].partitionErrorCode]));
}

it('checks Write and Describe on the transactional id, and the topics and group', async () => {
  const writer = await login('txwriter');
  const reader = await login('txreader');
  const nobody = await login('nobody');
  expect(await findCoordinator(reader, 'tx-a')).toBe(0);
  expect(await findCoordinator(writer, 'tx-a')).toBe(0); // Write implies Describe
  expect(await findCoordinator(nobody, 'tx-a')).toBe(ID_DENIED);

  expect((await init(reader, 'tx-a')).errorCode).toBe(ID_DENIED);
  expect((await init(writer, 'other')).errorCode).toBe(ID_DENIED);
  const { errorCode, producerId, producerEpoch } = await init(writer, 'tx-a');
  expect(errorCode).toBe(0);

  expect(await addPartitions(reader, 'tx-a', producerId, producerEpoch, ['orders']))
    .toEqual([['orders', ID_DENIED]]);
  expect(await addPartitions(writer, 'tx-a', producerId, producerEpoch, ['orders', 'hidden']))
    .toEqual([['orders', kafkaErrorCode('OPERATION_NOT_ATTEMPTED')],
      ['hidden', kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED')]]);
  expect(await addPartitions(writer, 'tx-a', producerId, producerEpoch, ['orders']))
    .toEqual([['orders', 0]]);
  const addOffsets = await writer.call<AddOffsetsToTxnResponse>(ApiKey.ADD_OFFSETS_TO_TXN, 1, {
    transactionalId: 'tx-a', producerId, producerEpoch, groupId: 'g',
  });
  expect(addOffsets.errorCode).toBe(kafkaErrorCode('GROUP_AUTHORIZATION_FAILED'));

  // The reader may write the topic, but not as the transactional id.
  const produced = await reader.call<ProduceResponse>(ApiKey.PRODUCE, 7, {
    transactionalId: 'tx-a', acks: -1, timeoutMs: 5000,
    topicData: [{ name: 'orders', partitionData: [{ index: 0, records: encodeBatch(
      [{ key: null, value: new TextEncoder().encode('x') }],
      { producerId, producerEpoch, baseSequence: 0, attributes: ATTRIBUTE_TRANSACTIONAL }) }] }],
  });
  expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ID_DENIED);

  const describe = (client: WireClient) => client.call<DescribeTransactionsResponse>(
    ApiKey.DESCRIBE_TRANSACTIONS, 0, { transactionalIds: ['tx-a'] })
    .then((r) => [r.transactionStates[0].errorCode, r.transactionStates[0].transactionState]);
  expect(await describe(reader)).toEqual([0, 'Ongoing']);
  expect(await describe(nobody)).toEqual([ID_DENIED, '']);
  const list = (client: WireClient) => client.call<ListTransactionsResponse>(
    ApiKey.LIST_TRANSACTIONS, 0, { stateFilters: [], producerIdFilters: [] })
    .then((r) => r.transactionStates.map((s) => s.transactionalId));
  expect(await list(reader)).toEqual(['tx-a']);
  expect(await list(nobody)).toEqual([]);

  const end = (client: WireClient) => client.call<EndTxnResponse>(ApiKey.END_TXN, 1, {
    transactionalId: 'tx-a', producerId, producerEpoch, committed: false,
  }).then((r) => r.errorCode);
  expect(await end(reader)).toBe(ID_DENIED);
  expect(await end(writer)).toBe(0);
});

it('kafkajs admin grants a TransactionalId ACL (resource type 5) the door obeys', async () => {
  const nobody = await login('nobody');
  expect(await findCoordinator(nobody, 'granted')).toBe(ID_DENIED);
  const root = new Kafka({
    clientId: 'txn-acl', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'admin-pw' },
    retry: { retries: 0 },
  }).admin();
  await root.connect();
  try {
    await root.createAcls({ acl: [{
      resourceType: AclResourceTypes.TRANSACTIONAL_ID, resourceName: 'granted',
      resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:nobody', host: '*',
      operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW,
    }] });
    expect(await findCoordinator(nobody, 'granted')).toBe(0);
    const described = await root.describeAcls({
      resourceType: AclResourceTypes.TRANSACTIONAL_ID,
      resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    expect(described.resources.map((r) => r.resourceName).sort())
      .toEqual(['granted', 'tx-', 'tx-a']);
  } finally {
    await root.disconnect();
  }
});
