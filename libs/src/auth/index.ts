export {
  type AccessTokenAlgorithm,
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
  MAX_ACCESS_TOKEN_BYTES,
} from "./access-token-verifier";
export {
  type AccessTokenVerifier,
  type Role,
  SERVICE_TOKEN_AUDIENCE,
  SERVICE_TOKEN_METADATA,
  type ServiceTokenSigner,
  type ServiceTokenVerifier,
  type UserIdentity,
} from "./identity";
export {
  ensureServiceKeys,
  loadServiceKeys,
  type ServiceKeys,
  serviceKeyFiles,
} from "./service-keys";
export { createServiceTokenSigner, type ServiceTokenSignerOptions } from "./service-token-signer";
export {
  createServiceTokenVerifier,
  type ServiceTokenVerifierOptions,
} from "./service-token-verifier";
export {
  createVerifiedTokens,
  type VerifiedTokens,
  type VerifiedTokensOptions,
} from "./verified-tokens";
