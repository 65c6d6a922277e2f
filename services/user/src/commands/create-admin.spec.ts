import { Role } from "@shop/gen/ts/shop/user/v1/user";
import { Code, ServiceError } from "@shop/libs/errors";
import type { ScratchDatabase } from "@shop/libs/testing";
import { decodeJwt } from "jose";
import {
  scratchDatabase,
  startUserServiceUnderTest,
  uniqueEmail,
} from "../testing/user-service-under-test";
import { createAdmin } from "./create-admin";

describe("create-admin", () => {
  let database: ScratchDatabase;
  const noPrompt = () => Promise.reject(new Error("prompted unexpectedly"));

  beforeAll(async () => {
    database = await scratchDatabase();
  });
  afterAll(() => database?.drop());

  async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceError);
      return error as ServiceError;
    }
    throw new Error("expected a refusal");
  }

  it("creates an admin from the environment, once, who can sign in as admin", async () => {
    const email = uniqueEmail("ops");
    const env = {
      DATABASE_URL: database.url,
      ADMIN_EMAIL: email,
      ADMIN_PASSWORD: "Correct-Horse-42",
    };
    const printed: string[] = [];
    const created = await createAdmin({
      args: ["--name", "Operations"],
      env,
      out: (line) => printed.push(line),
      readPassword: noPrompt,
    });
    expect(created.created).toBe(true);
    expect(printed).toEqual([`created admin ${created.id}`]);
    // Idempotent: a second run leaves the admin as it is.
    const again = await createAdmin({ args: [], env, out: () => {}, readPassword: noPrompt });
    expect(again).toEqual({ id: created.id, created: false });

    const sut = await startUserServiceUnderTest(database.url);
    try {
      const login = await sut.client.login({ email, password: "Correct-Horse-42" });
      expect(login.user).toMatchObject({
        id: created.id,
        role: Role.ROLE_ADMIN,
        name: "Operations",
      });
      expect(decodeJwt(login.accessToken).role).toBe("admin");

      // A customer's address is not silently promoted.
      const customer = uniqueEmail();
      await sut.client.register({ email: customer, password: "secure123", name: "" });
      const refused = await refusal(
        createAdmin({
          args: ["--email", customer],
          env: { DATABASE_URL: database.url, ADMIN_PASSWORD: "Correct-Horse-42" },
          out: () => {},
          readPassword: noPrompt,
        }),
      );
      expect(refused.code).toBe(Code.ALREADY_EXISTS);
    } finally {
      await sut.stop();
    }
  });

  it("asks twice without echo when ADMIN_PASSWORD is unset", async () => {
    const prompts: string[] = [];
    const created = await createAdmin({
      args: ["--email", uniqueEmail("ops")],
      env: { DATABASE_URL: database.url },
      out: () => {},
      readPassword: async (prompt) => {
        prompts.push(prompt);
        return "Typed-In-Secret-7";
      },
    });
    expect(created.created).toBe(true);
    expect(prompts).toEqual(["Admin password: ", "Repeat it: "]);

    let answers = ["one-password-1", "another-password-2"];
    const mismatch = await refusal(
      createAdmin({
        args: ["--email", uniqueEmail("ops")],
        env: { DATABASE_URL: database.url },
        out: () => {},
        readPassword: async () => {
          const [first, ...rest] = answers;
          answers = rest;
          return first!;
        },
      }),
    );
    expect(mismatch.message).toBe("the two passwords differ");
  });

  it.each([
    [{}, "--email"],
    [{ ADMIN_EMAIL: "ops@example.com", ADMIN_PASSWORD: "password1" }, "password"],
    [{ ADMIN_EMAIL: "ops@example.com", ADMIN_PASSWORD: "short" }, "password"],
    [{ ADMIN_EMAIL: "not-an-address", ADMIN_PASSWORD: "Correct-Horse-42" }, "email"],
  ])("refuses %j, naming %s, and has no default password", async (vars, field) => {
    const refused = await refusal(
      createAdmin({
        args: [],
        env: { DATABASE_URL: database.url, ...vars },
        out: () => {},
        readPassword: async () => "",
      }),
    );
    expect(refused.code).toBe(Code.INVALID_ARGUMENT);
    expect(refused.fieldViolations.map((v) => v.field)).toEqual([field]);
  });
});
