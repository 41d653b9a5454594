/** The door's dispatch table: API key → handler. */
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { offsetCommitHandler } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { advertise, apiVersionsBody, apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { initProducerIdHandler } from './22-init-producer-id.js';
import { describeConfigsHandler } from './32-describe-configs.js';
import { saslHandshakeHandler } from './17-sasl-handshake.js';
import { saslAuthenticateHandler } from './36-sasl-authenticate.js';
import { describeAclsHandler } from './29-describe-acls.js';
import { createAclsHandler } from './30-create-acls.js';
import { deleteAclsHandler } from './31-delete-acls.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.js';
import { endTxnHandler } from './26-end-txn.js';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.js';
import { describeTransactionsHandler } from './65-describe-transactions.js';
import { listTransactionsHandler } from './66-list-transactions.js';
import type { ApiHandler, RequestClient } from './api-handler.js';

const handlers: ApiHandler[] = [
  produceHandler, fetchHandler, listOffsetsHandler, metadataHandler, offsetCommitHandler,
  offsetFetchHandler, findCoordinatorHandler, joinGroupHandler, heartbeatHandler,
  leaveGroupHandler, syncGroupHandler, describeGroupsHandler, listGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler, deleteTopicsHandler, initProducerIdHandler, describeConfigsHandler,
  deleteGroupsHandler,
  saslHandshakeHandler, saslAuthenticateHandler,
  describeAclsHandler, createAclsHandler, deleteAclsHandler,
  addPartitionsToTxnHandler, addOffsetsToTxnHandler, endTxnHandler, txnOffsetCommitHandler,
  describeTransactionsHandler, listTransactionsHandler,
];
advertise(handlers);

const byKey = new Map(handlers.map((handler) => [handler.apiKey, handler]));

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return byKey.get(apiKey);
}

export { apiVersionsBody, type ApiHandler, type RequestClient };
