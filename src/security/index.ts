/**
 * Security for the Kafka door: users stored as SCRAM credentials, the SCRAM exchange, ACL
 * entries and the authorizer over them, each kept in the data directory's `security/` folder.
 */
export {
  ACL_OPERATIONS, ANONYMOUS, CLUSTER_RESOURCE_NAME, PATTERN_TYPES, RESOURCE_TYPES, WILDCARD,
  describeEntry, resourceMatches, validateAclEntry, validatePrincipal,
  type AclEntry, type AclFilter, type AclOperation, type PatternType, type Permission,
  type Resource, type ResourceType,
} from './acl.js';
export { AclStore, ACLS_FILE_NAME, type AclSelector } from './acl-store.js';
export {
  CredentialStore, USERS_FILE_NAME, validateUserName, type UserSummary,
} from './credential-store.js';
export {
  SCRAM_MECHANISMS, ScramServerExchange, parseClientFirst, scramIterationsDefault,
  type ScramCredential, type ScramMechanism,
} from './scram.js';
export { SECURITY_DIR_NAME } from './security-file.js';
