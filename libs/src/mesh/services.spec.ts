import { SERVICES, serviceSpec } from "./services";

describe("the mesh catalogue", () => {
  it("has the fixed names and ports", () => {
    expect(SERVICES.map((s) => [s.name, s.httpPort, s.grpcPort])).toEqual([
      ["user-service", 8001, 50051],
      ["product-service", 8002, 50052],
      ["order-service", 8003, 50053],
      ["api-gateway", 8000, 9000],
    ]);
  });

  it("gives every port and database to one process only", () => {
    const ports = SERVICES.flatMap((s) => [s.httpPort, s.grpcPort]);
    expect(new Set(ports).size).toBe(ports.length);
    const dbs = SERVICES.flatMap((s) => (s.database ? [s.database.name, s.database.role] : []));
    expect(new Set(dbs).size).toBe(dbs.length);
    expect(serviceSpec("api-gateway").database).toBeUndefined();
  });

  it("throws for an unknown name", () => {
    expect(() => serviceSpec("billing-service" as never)).toThrow(/unknown service/);
  });
});
