/** The door's dispatch table: API key → handler. */
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
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
import type { ApiHandler } from './api-handler.js';

const handlers: ApiHandler[] = [
  produceHandler, fetchHandler, listOffsetsHandler, metadataHandler, findCoordinatorHandler,
  apiVersionsHandler,
  createTopicsHandler, deleteTopicsHandler, initProducerIdHandler, describeConfigsHandler,
  saslHandshakeHandler, saslAuthenticateHandler,
  describeAclsHandler, createAclsHandler, deleteAclsHandler,
];
advertise(handlers);

const byKey = new Map(handlers.map((handler) => [handler.apiKey, handler]));

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return byKey.get(apiKey);
}

export { apiVersionsBody, type ApiHandler };
