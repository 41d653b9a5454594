/**
 * ApiVersions (key 18): the versions of every API this door serves. librdkafka opens with v3
 * (flexible; its response still uses header v0). A request in a version the door does not
 * serve is answered by the connection in the v0 layout with UNSUPPORTED_VERSION, which makes
 * clients retry with a version they share (see connection.ts).
 */
import {
  ApiKey, type ApiVersionsRequest, type ApiVersionsResponse,
} from '../../protocol/index.js';
import { apiHandler, type ApiHandler } from './api-handler.js';

/** The advertised versions; set by the dispatch table (index.ts) once every handler exists. */
let advertised: ApiVersionsResponse['apiKeys'] = [];

export function advertise(handlers: readonly ApiHandler[]): void {
  advertised = handlers.map((h) => ({
    apiKey: h.apiKey, minVersion: h.versions[0], maxVersion: h.versions[1],
  })).sort((a, b) => a.apiKey - b.apiKey);
}

export function apiVersionsBody(errorCode: number): ApiVersionsResponse {
  return {
    errorCode, apiKeys: advertised, throttleTimeMs: 0, supportedFeatures: [],
    finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false,
  };
}

export const apiVersionsHandler = apiHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKey.API_VERSIONS,
  versions: [0, 3],
  handle: () => Promise.resolve(apiVersionsBody(0)),
});
