/**
 * DeleteAcls (key 31): removes the entries each filter selects and returns them, per filter.
 * Needs Alter on the cluster; SECURITY_DISABLED when no listener authenticates.
 */
import {
  ApiKey, kafkaErrorCode, type DeleteAclsRequest, type DeleteAclsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { entryToWire, filterPredicate } from './acl-wire.js';
import { codeOf, messageOf } from './topic-access.js';

type Result = DeleteAclsResponse['filterResults'][0];

export const deleteAclsHandler = apiHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKey.DELETE_ACLS,
  versions: [0, 3],
  handle(context, request) {
    const every = (errorCode: number, errorMessage: string): Result[] =>
      request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] }));
    const answer = (filterResults: Result[]) =>
      Promise.resolve({ throttleTimeMs: 0, filterResults });
    if (context.acls === undefined) {
      return answer(every(kafkaErrorCode('SECURITY_DISABLED'), 'no listener authenticates'));
    }
    if (!context.allowsCluster('Alter')) {
      return answer(every(kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED'),
        'Alter on the cluster is needed'));
    }
    let removed;
    try {
      removed = context.acls.remove(request.filters.map(filterPredicate));
    } catch (error) {
      return answer(every(codeOf(error), messageOf(error)));
    }
    return answer(removed.map((entries) => ({
      errorCode: 0, errorMessage: null,
      matchingAcls: entries.map((entry) => ({
        errorCode: 0, errorMessage: null, ...entryToWire(entry),
      })),
    })));
  },
});
