import { join } from "node:path";
import { type RpcFact, rpcFacts } from "../contracts/rpc-facts";
import { accessFindings } from "./access-levels";

const ROOT = join(__dirname, "..", "..", "..", "..");

describe("access levels", () => {
  it("hold for every RPC of the contracts", () => {
    expect(accessFindings(ROOT, rpcFacts())).toEqual([]);
  });

  it("reports an RPC without one, or with an HTTP rule that contradicts it, at its rpc line", () => {
    const facts = rpcFacts();
    const getUser = facts.find((f) => f.name === "GetUser")!;
    const { access: _dropped, ...withoutAccess } = getUser;
    const exposed: RpcFact = {
      ...facts.find((f) => f.name === "ReserveStock")!,
      http: { method: "POST", path: "/x" },
    };
    const findings = accessFindings(ROOT, [withoutAccess, exposed]);
    expect(findings).toEqual([
      {
        file: "proto/shop/user/v1/user.proto",
        line: expect.any(Number),
        column: 3,
        message: "rpc GetUser has no access level: set option (shop.options.v1.access)",
      },
      {
        file: "proto/shop/product/v1/product.proto",
        line: expect.any(Number),
        column: 3,
        message: "rpc ReserveStock is INTERNAL but has an HTTP rule: the gateway would expose it",
      },
    ]);
    expect(findings[0]!.line).toBeGreaterThan(1);
  });
});
