export {
  type AccessTokenVerifier,
  type Role,
  SERVICE_TOKEN_METADATA,
  type ServiceTokenSigner,
  type ServiceTokenVerifier,
  type UserIdentity,
} from "./identity";
