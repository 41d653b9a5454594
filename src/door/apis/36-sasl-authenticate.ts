/**
 * SaslAuthenticate (key 36): one token of the connection's SASL exchange (sasl-session.ts).
 * Once the exchange is done the connection's principal is `User:<name>` and every API is
 * served; a failure answers SASL_AUTHENTICATION_FAILED and the connection closes after it.
 * The session lifetime is 0: no re-authentication is asked for.
 */
import {
  ApiKey, kafkaErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';

export const saslAuthenticateHandler = apiHandler<SaslAuthenticateRequest,
  SaslAuthenticateResponse>({
  apiKey: ApiKey.SASL_AUTHENTICATE,
  versions: [0, 2],
  async handle(context, request) {
    const scope = context.scope;
    if (scope?.sasl === undefined || scope.authenticated) {
      return {
        errorCode: kafkaErrorCode('ILLEGAL_SASL_STATE'), errorMessage: 'no SASL exchange is open',
        authBytes: new Uint8Array(0), sessionLifetimeMs: 0n,
      };
    }
    const outcome = await scope.sasl.authenticate(request.authBytes);
    if (scope.sasl.authenticated) {
      scope.authenticated = true;
      scope.principal = `User:${scope.sasl.user!}`;
    }
    return {
      errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, authBytes: outcome.token,
      sessionLifetimeMs: 0n,
    };
  },
});
