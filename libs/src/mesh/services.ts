/**
 * The mesh's processes, their ports and the data they own. The names are fixed: the
 * same string is the log `service` field, the OpenTelemetry service name, the
 * Kubernetes Deployment/Service/ServiceAccount, the policy name and the Redis consumer
 * group (../../../README.md, "Names").
 */
export type ServiceName = "user-service" | "product-service" | "order-service" | "api-gateway";

export interface ServiceSpec {
  readonly name: ServiceName;
  /** HTTP port: REST for the gateway, admin (/health, /ready, /metrics) for services. */
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The PostgreSQL database the service owns, and the role that owns it. */
  readonly database?: { readonly name: string; readonly role: string };
  /** The workspace folder, relative to the repository root. */
  readonly dir: string;
}

export const SERVICES: readonly ServiceSpec[] = Object.freeze([
  {
    name: "user-service",
    httpPort: 8001,
    grpcPort: 50051,
    database: { name: "users", role: "user_service" },
    dir: "services/user",
  },
  {
    name: "product-service",
    httpPort: 8002,
    grpcPort: 50052,
    database: { name: "products", role: "product_service" },
    dir: "services/product",
  },
  {
    name: "order-service",
    httpPort: 8003,
    grpcPort: 50053,
    database: { name: "orders", role: "order_service" },
    dir: "services/order",
  },
  { name: "api-gateway", httpPort: 8000, grpcPort: 9000, dir: "gateway" },
]);

export function serviceSpec(name: ServiceName): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown service ${name}`);
  return spec;
}
