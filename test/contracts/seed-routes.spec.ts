import { fromJson } from "@bufbuild/protobuf";
import { CreateOrderRequestSchema } from "@shop/gen/es/shop/order/v1/order_pb";
import { RegisterRequestSchema } from "@shop/gen/es/shop/user/v1/user_pb";
import { Access, accessOf, allMethods, httpRuleOf } from "./contract-registry";

function method(name: string) {
  const found = allMethods().find((m) => `${m.parent.name}.${m.name}` === name);
  if (!found) throw new Error(`no method ${name}`);
  return found;
}

describe("contracts: the seed's Quick Start routes", () => {
  it("POST /api/users/register takes the whole body and is public", () => {
    const register = method("UserService.Register");
    const rule = httpRuleOf(register);
    expect(rule?.pattern).toEqual({ case: "post", value: "/api/users/register" });
    expect(rule?.body).toBe("*");
    expect(accessOf(register)).toBe(Access.PUBLIC);
    // The seed's body parses as the request, field names unchanged.
    const body = fromJson(RegisterRequestSchema, {
      email: "test@example.com",
      password: "secure123",
    });
    expect(body).toMatchObject({ email: "test@example.com", password: "secure123" });
  });

  it("GET /api/products is public", () => {
    const list = method("ProductService.ListProducts");
    expect(httpRuleOf(list)?.pattern).toEqual({ case: "get", value: "/api/products" });
    expect(accessOf(list)).toBe(Access.PUBLIC);
  });

  it("POST /api/orders takes {productId, quantity} and needs a token", () => {
    const create = method("OrderService.CreateOrder");
    const rule = httpRuleOf(create);
    expect(rule?.pattern).toEqual({ case: "post", value: "/api/orders" });
    expect(rule?.body).toBe("*");
    expect(accessOf(create)).toBe(Access.AUTHENTICATED);
    const body = fromJson(CreateOrderRequestSchema, { productId: "123", quantity: 2 });
    expect(body).toMatchObject({ productId: "123", quantity: 2, paymentToken: "" });
  });
});
