/**
 * CreateAcls (key 30): adds entries to the data directory's ACLs (security/acls.json, written
 * atomically), effective at once. Needs Alter on the cluster; SECURITY_DISABLED when no
 * listener authenticates. An entry Mamba cannot hold (another resource type, a pattern other
 * than literal or prefixed) gets INVALID_REQUEST with the reason.
 */
import { MambaError } from '../../errors.js';
import {
  ApiKey, kafkaErrorCode, type CreateAclsRequest, type CreateAclsResponse,
} from '../../protocol/index.js';
import { validateAclEntry, type AclEntry } from '../../security/index.js';
import { apiHandler } from './api-handler.js';
import { entryFromWire } from './acl-wire.js';
import { codeOf, messageOf } from './topic-access.js';

type Result = CreateAclsResponse['results'][0];

export const createAclsHandler = apiHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKey.CREATE_ACLS,
  versions: [0, 3],
  handle(context, request) {
    const every = (errorCode: number, errorMessage: string): Result[] =>
      request.creations.map(() => ({ errorCode, errorMessage }));
    const answer = (results: Result[]) => Promise.resolve({ throttleTimeMs: 0, results });
    if (context.acls === undefined) {
      return answer(every(kafkaErrorCode('SECURITY_DISABLED'), 'no listener authenticates'));
    }
    if (!context.allowsCluster('Alter')) {
      return answer(every(kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED'),
        'Alter on the cluster is needed'));
    }
    const results: Result[] = [];
    const valid: AclEntry[] = [];
    for (const creation of request.creations) {
      const entry = entryFromWire({ ...creation, patternType: creation.resourcePatternType });
      try {
        if (typeof entry === 'string') throw new MambaError('INVALID_REQUEST', entry);
        valid.push(validateAclEntry(entry));
        results.push({ errorCode: 0, errorMessage: null });
      } catch (error) {
        results.push({ errorCode: kafkaErrorCode('INVALID_REQUEST'), errorMessage:
          messageOf(error) });
      }
    }
    try {
      context.acls.add(valid);
    } catch (error) {
      return answer(every(codeOf(error), messageOf(error)));
    }
    return answer(results);
  },
});
