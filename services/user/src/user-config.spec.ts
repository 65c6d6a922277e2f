import { randomBytes } from "node:crypto";
import { ConfigError } from "@shop/libs/config";
import { parseUserConfig } from "./user-config";

const kek = randomBytes(32);
const base = { DATABASE_URL: "postgres://u@127.0.0.1/users", USER_KEK: kek.toString("base64") };

function problems(env: Record<string, string>): string {
  try {
    parseUserConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseUserConfig", () => {
  it("applies the defaults", () => {
    const config = parseUserConfig(base);
    expect(config.USER_KEK).toEqual(kek);
    expect(config.ACCESS_TOKEN_TTL).toBe(15 * 60_000);
    expect(config.REFRESH_TOKEN_TTL).toBe(30 * 24 * 3_600_000);
    expect(config.PASSWORD_HASH_MEMORY_KIB).toBe(19_456);
    expect(config.LOGIN_ACCOUNT_MAX_FAILURES).toBe(5);
  });

  it("accepts URL-safe base64 and previous KEKs", () => {
    const previous = [randomBytes(32), randomBytes(32)];
    const config = parseUserConfig({
      ...base,
      USER_KEK: kek.toString("base64url"),
      USER_KEK_PREVIOUS: previous.map((k) => k.toString("base64")).join(","),
    });
    expect(config.USER_KEK).toEqual(kek);
    expect(config.USER_KEK_PREVIOUS).toEqual(previous);
  });

  it("names a missing or malformed KEK without echoing it", () => {
    expect(problems({ DATABASE_URL: base.DATABASE_URL })).toMatch(/USER_KEK: required/);
    const short = randomBytes(16).toString("base64");
    const message = problems({ ...base, USER_KEK: short });
    expect(message).toMatch(/USER_KEK: expected base64 of 32 random bytes/);
    expect(message).not.toContain(short);
    expect(problems({ ...base, USER_KEK: "not base64!" })).toMatch(/USER_KEK/);
    expect(problems({ ...base, USER_KEK_PREVIOUS: `${base.USER_KEK},nope` })).toMatch(
      /USER_KEK_PREVIOUS: comma-separated keys/,
    );
  });

  it("names other bad variables", () => {
    expect(problems({ ...base, DATABASE_URL: "mysql://x" })).toMatch(/DATABASE_URL/);
    expect(problems({ ...base, ACCESS_TOKEN_TTL: "1s" })).toMatch(
      /ACCESS_TOKEN_TTL: expected 10 s/,
    );
    expect(problems({ ...base, ACCESS_TOKEN_TTL: "soon" })).toMatch(/ACCESS_TOKEN_TTL/);
    expect(problems({ ...base, PASSWORD_HASH_MEMORY_KIB: "1024" })).toMatch(
      /PASSWORD_HASH_MEMORY_KIB/,
    );
  });
});
