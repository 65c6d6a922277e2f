/**
 * user-service as a package: what the embedded mode and other processes' tests need to
 * start it, and the password hasher the benchmark seeds accounts with.
 */
export {
  createPasswordHasher,
  OWASP_ARGON2ID,
  type PasswordHasher,
  type PasswordHashParams,
} from "./domain/password-hasher";
export { JWKS_PATH } from "./keys/jwks-route";
export { type UserConfig, userEnvShape } from "./user-config";
export {
  type RunningUserService,
  startUserService,
  type UserServiceOptions,
} from "./user-service";
