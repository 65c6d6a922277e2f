export {
  createMemoryInfrastructure,
  createRedisInfrastructure,
  type Infrastructure,
} from "./infrastructure";
export { runMain, type Stoppable } from "./run-main";
export { devServiceKeysDir, serviceEnvShape, upstreamAddressVariable } from "./service-env";
export {
  type CommonServiceConfig,
  createServiceRuntime,
  type DatabaseServiceRuntime,
  type ServiceRuntime,
  type ServiceRuntimeOptions,
} from "./service-runtime";
