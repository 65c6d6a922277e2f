import { createCors } from "./cors";

const policy = {
  allowHeaders: ["authorization"],
  exposeHeaders: [] as string[],
  maxAgeMs: 60_000,
};

describe("createCors", () => {
  it("answers any origin with * when credentials are off", () => {
    const cors = createCors({ ...policy, allowOrigins: ["*"], allowCredentials: false });
    expect(cors.headers("https://x.example")).toEqual({ "access-control-allow-origin": "*" });
    expect(cors.headers(undefined)).toEqual({});
  });

  it("echoes the origin for a wildcard with credentials, which forbid *", () => {
    const cors = createCors({ ...policy, allowOrigins: ["*"], allowCredentials: true });
    expect(cors.preflight("https://x.example", ["GET"])).toEqual({
      "access-control-allow-origin": "https://x.example",
      vary: "Origin",
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, OPTIONS",
      "access-control-allow-headers": "authorization",
      "access-control-max-age": "60",
    });
  });

  it("gives an origin not listed nothing", () => {
    const cors = createCors({
      ...policy,
      allowOrigins: ["https://a.example"],
      allowCredentials: false,
    });
    expect(cors.preflight("https://b.example", ["GET"])).toEqual({});
  });
});
