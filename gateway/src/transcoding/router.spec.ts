import { parsePathTemplate } from "./path-template";
import { createRouter, DuplicateRouteError } from "./router";

const entry = (httpMethod: string, source: string) => ({
  httpMethod,
  template: parsePathTemplate(source),
  target: `${httpMethod} ${source}`,
});

describe("createRouter", () => {
  const router = createRouter([
    entry("GET", "/v1/users/{id}"),
    entry("GET", "/v1/users/me"),
    entry("DELETE", "/v1/users/{id}"),
    entry("POST", "/v1/users/{id}:ban"),
  ]);

  it("finds the most specific route of the method", () => {
    const me = router.match("GET", "/v1/users/me");
    expect(me.kind === "found" && me.entry.target).toBe("GET /v1/users/me");
    const other = router.match("GET", "/v1/users/u1");
    expect(other.kind === "found" && other.params.get("id")).toBe("u1");
    const ban = router.match("POST", "/v1/users/u1:ban");
    expect(ban.kind === "found" && ban.entry.target).toBe("POST /v1/users/{id}:ban");
  });

  it("answers 405 material: the methods the path has", () => {
    expect(router.match("PUT", "/v1/users/u1")).toEqual({
      kind: "method-not-allowed",
      allowed: ["DELETE", "GET"],
    });
    expect(router.match("GET", "/v1/users/u1:ban")).toMatchObject({ kind: "found" });
    expect(router.match("GET", "/v2/users")).toEqual({ kind: "not-found" });
    expect(router.match("GET", "no-slash")).toEqual({ kind: "not-found" });
  });

  it("refuses two routes that differ only in variable names", () => {
    expect(() => createRouter([entry("GET", "/v1/{a}"), entry("GET", "/v1/{b}")])).toThrow(
      DuplicateRouteError,
    );
    expect(() => createRouter([entry("GET", "/v1/{a}"), entry("POST", "/v1/{b}")])).not.toThrow();
  });
});
