/**
 * DescribeAcls (key 29): the entries a filter selects, grouped by resource. Needs Describe on
 * the cluster; SECURITY_DISABLED when no listener authenticates (no authorizer, as in Kafka).
 */
import {
  ApiKey, kafkaErrorCode, type DescribeAclsRequest, type DescribeAclsResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';
import { entryToWire, filterPredicate } from './acl-wire.js';

type Resource = DescribeAclsResponse['resources'][0];

export const describeAclsHandler = apiHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKey.DESCRIBE_ACLS,
  versions: [0, 3],
  handle(context, request) {
    const answer = (errorCode: number, errorMessage: string | null, resources: Resource[]) =>
      Promise.resolve({ throttleTimeMs: 0, errorCode, errorMessage, resources });
    if (context.acls === undefined) {
      return answer(kafkaErrorCode('SECURITY_DISABLED'), 'no listener authenticates', []);
    }
    if (!context.allowsCluster('Describe')) {
      return answer(kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED'),
        'Describe on the cluster is needed', []);
    }
    const resources = new Map<string, Resource>();
    for (const entry of context.acls.list(filterPredicate(request))) {
      const wire = entryToWire(entry);
      const key = `${wire.resourceType}\0${wire.patternType}\0${wire.resourceName}`;
      let resource = resources.get(key);
      if (resource === undefined) {
        resource = {
          resourceType: wire.resourceType, resourceName: wire.resourceName,
          patternType: wire.patternType, acls: [],
        };
        resources.set(key, resource);
      }
      resource.acls.push({
        principal: wire.principal, host: wire.host, operation: wire.operation,
        permissionType: wire.permissionType,
      });
    }
    return answer(0, null, [...resources.values()]);
  },
});
