/**
 * SaslHandshake (key 17): picks the connection's SASL mechanism (sasl-session.ts). v0 means the
 * tokens that follow travel raw, v1 that they come in SaslAuthenticate requests. On a listener
 * without SASL, or once logged in, it is ILLEGAL_SASL_STATE.
 */
import {
  ApiKey, kafkaErrorCode, type SaslHandshakeRequest, type SaslHandshakeResponse,
} from '../../protocol/index.js';
import { apiHandler } from './api-handler.js';

export const saslHandshakeHandler = apiHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SASL_HANDSHAKE,
  versions: [0, 1],
  handle(context, request, version) {
    const sasl = context.scope?.sasl;
    if (sasl === undefined) {
      return Promise.resolve({ errorCode: kafkaErrorCode('ILLEGAL_SASL_STATE'), mechanisms: [] });
    }
    const errorCode = sasl.handshake(request.mechanism, version);
    return Promise.resolve({ errorCode, mechanisms: [...sasl.enabledMechanisms] });
  },
});
