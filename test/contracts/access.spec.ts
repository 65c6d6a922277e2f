import { Access, accessOf, allMethods, httpRuleOf, SHOP_SERVICES } from "./contract-registry";

describe("contracts: access levels", () => {
  const methods = allMethods();

  it("reads the shop's three services", () => {
    expect(SHOP_SERVICES.map((s) => s.typeName)).toEqual([
      "shop.user.v1.UserService",
      "shop.product.v1.ProductService",
      "shop.order.v1.OrderService",
    ]);
    expect(methods.length).toBeGreaterThan(15);
  });

  it.each(methods.map((m) => [`${m.parent.name}.${m.name}`, m] as const))(
    "%s sets a known access level",
    (_, method) => {
      const level = accessOf(method);
      expect(level).toBeDefined();
      expect([Access.PUBLIC, Access.AUTHENTICATED, Access.ADMIN, Access.INTERNAL]).toContain(level);
    },
  );

  it.each(methods.map((m) => [`${m.parent.name}.${m.name}`, m] as const))(
    "%s is INTERNAL exactly when it has no HTTP rule",
    (_, method) => {
      const internal = accessOf(method) === Access.INTERNAL;
      expect(internal).toBe(httpRuleOf(method) === undefined);
    },
  );

  it("marks the saga's stock calls and GetUser internal", () => {
    const internal = methods.filter((m) => accessOf(m) === Access.INTERNAL).map((m) => m.name);
    expect(internal.sort()).toEqual(
      ["CommitStock", "GetUser", "ReleaseStock", "ReserveStock", "ReturnStock"].sort(),
    );
  });
});
