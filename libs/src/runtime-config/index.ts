export {
  defaultRuntimeConfig,
  defaultRuntimeConfigPath,
  loadRuntimeConfig,
  RuntimeConfigError,
} from "./load-runtime-config";
export { findRepoRoot } from "./repo-root";
export {
  type BreakerConfig,
  type FaultConfig,
  MAX_ATTEMPTS_LIMIT,
  type RetryPolicy,
  type RuntimeConfig,
  rpcFullNameSchema,
  runtimeConfigSchema,
  STATUS_CODE_NAMES,
  type StatusCodeName,
  serviceNameSchema,
  type UpstreamConfig,
} from "./runtime-config-schema";
