export {
  type AdminRoute,
  type AdminServer,
  type AdminServerOptions,
  createAdminServer,
} from "./admin-server";
export {
  type CheckOptions,
  createReadiness,
  type Readiness,
  type ReadinessCheck,
  type ReadinessOptions,
  type ReadinessReport,
  type ReadinessState,
  type ReadinessStatus,
} from "./readiness";
