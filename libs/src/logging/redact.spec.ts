import { Writable } from "node:stream";
import { createLogger } from "./logger";
import { REDACTED, redact, redactString } from "./redact";

function capture() {
  const raw: string[] = [];
  const log = createLogger({
    service: "user-service",
    destination: new Writable({
      write(chunk, _encoding, callback) {
        raw.push(String(chunk));
        callback();
      },
    }),
  });
  return { log, raw, last: () => JSON.parse(raw.at(-1)!) as Record<string, unknown> };
}

// Built at run time so no secret-shaped literal sits in the source.
const JWT = ["eyJhbGciOiJFUzI1NiJ9", "eyJzdWIiOiJ1LTEiLCJleHAiOjF9", "c2lnbmF0dXJlLXBhcnQ"].join(
  ".",
);
const CARD = ["4111", "1111", "1111", "1111"]; // a well-known test number, Luhn-valid

describe("redaction in log lines", () => {
  it("removes secret-named keys at any depth and leaves other fields untouched", () => {
    const { log, last } = capture();
    log.info(
      {
        password: "hunter2",
        request: {
          headers: { authorization: `Bearer ${JWT}`, Cookie: "sid=1", "x-request-id": "r-1" },
          body: { user: { newPassword: "x", apiKey: "k", clientSecret: "s" } },
        },
        payment: { cardNumber: "4000", cvv: "123", pan: "5555" },
        refreshToken: "t",
        items: [{ sku: "A-1", quantity: 2 }],
        span: "kept",
        count: 3,
        active: true,
        nothing: null,
      },
      "Signed in",
    );
    expect(last()).toMatchObject({
      message: "Signed in",
      password: REDACTED,
      request: {
        headers: { authorization: REDACTED, Cookie: REDACTED, "x-request-id": "r-1" },
        body: { user: { newPassword: REDACTED, apiKey: REDACTED, clientSecret: REDACTED } },
      },
      payment: { cardNumber: REDACTED, cvv: REDACTED, pan: REDACTED },
      refreshToken: REDACTED,
      items: [{ sku: "A-1", quantity: 2 }],
      span: "kept",
      count: 3,
      active: true,
      nothing: null,
    });
  });

  it("masks emails in values and in the message", () => {
    const { log, last } = capture();
    log.info(
      { user: { email: "alice@example.com" }, to: ["bob.smith@mail.example.org"] },
      "Welcome mail to %s",
      "carol@example.net",
    );
    expect(last()).toMatchObject({
      message: "Welcome mail to c***@example.net",
      user: { email: "a***@example.com" },
      to: ["b***@mail.example.org"],
    });
  });

  it("replaces JWT-shaped and card-number-shaped strings under any key", () => {
    const { log, last } = capture();
    log.info(
      {
        note: `token was ${JWT} ok`,
        memo: `paid with ${CARD.join(" ")} today`,
        raw: CARD.join("-"),
      },
      "charge %s",
      CARD.join(""),
    );
    expect(last()).toMatchObject({
      message: "charge [card]",
      note: "token was [jwt] ok",
      memo: "paid with [card] today",
      raw: "[card]",
    });
  });

  it("leaves long numbers that are not card numbers alone (timestamps, ids)", () => {
    expect(redactString("retry at 1764366661356")).toBe("retry at 1764366661356");
    expect(redactString("order 7291846105523640017 shipped")).toBe(
      "order 7291846105523640017 shipped",
    );
    expect(redactString("call +1 555 0100")).toBe("call +1 555 0100");
  });

  it("redacts inside errors: message, stack and their fields", () => {
    const { log, raw } = capture();
    const error = Object.assign(new Error(`no user alice@example.com (token ${JWT})`), {
      detail: "Key (email)=(alice@example.com) already exists.",
      password: "hunter2",
    });
    log.error(error, "Register failed");
    log.error({ err: new Error("wrapper", { cause: new Error("for bob@example.com") }) });
    const text = raw.join("");
    expect(text).not.toContain("alice@example.com");
    expect(text).not.toContain("bob@example.com");
    expect(text).not.toContain(JWT);
    expect(text).not.toContain("hunter2");
    const [first, second] = raw.map((line) => JSON.parse(line) as { err: Record<string, unknown> });
    expect(first!.err).toMatchObject({
      type: "Error",
      message: "no user a***@example.com (token [jwt])",
      stack: expect.stringContaining("Error: no user a***@example.com"),
      detail: "Key (email)=(a***@example.com) already exists.",
      password: REDACTED,
    });
    expect(second!.err.message).toBe("wrapper: for b***@example.com");
  });

  it("redacts child bindings too", () => {
    const { log, raw, last } = capture();
    log.child({ authorization: `Bearer ${JWT}`, customer: "dave@example.com" }).info("Request");
    expect(last()).toMatchObject({ authorization: REDACTED, customer: "d***@example.com" });
    expect(raw.join("")).not.toContain(JWT);
  });

  it("redacts objects formatted into the message with %j", () => {
    const { log, last } = capture();
    log.info("login %j", { email: "erin@example.com", password: "hunter2" });
    expect(last().message).toBe(`login {"email":"e***@example.com","password":"${REDACTED}"}`);
  });

  it("summarises Buffers instead of dumping them", () => {
    const { log, last } = capture();
    log.info({ envelope: Buffer.from("binary payload"), bytes: new Uint8Array(4) }, "Published");
    expect(last()).toMatchObject({ envelope: "[14 bytes]", bytes: "[4 bytes]" });
  });
});

describe("redact", () => {
  it("returns a copy and never modifies its input", () => {
    const input = {
      password: "hunter2",
      user: { email: "alice@example.com", tags: ["a@b.co"] },
      when: new Date(0),
      error: new Error("for alice@example.com"),
    };
    const snapshot = structuredClone(input);
    const output = redact(input) as typeof input;
    expect(input).toEqual(snapshot);
    expect(input.error.message).toBe("for alice@example.com");
    expect(output).not.toBe(input);
    expect(output.user).toEqual({ email: "a***@example.com", tags: ["a***@b.co"] });
    expect(output.when).toBe(input.when);
    expect(output.error).toBeInstanceOf(Error);
    expect(output.error.message).toBe("for a***@example.com");
  });

  it("stops at a depth limit, so cyclic and huge objects cannot hang a log call", () => {
    const cyclic: Record<string, unknown> = { name: "root" };
    cyclic.self = cyclic;
    let value = redact(cyclic) as Record<string, unknown>;
    for (let i = 0; i < 7; i++) value = value.self as Record<string, unknown>;
    expect(value.self).toBe("[depth]");
  });

  it("passes primitives through", () => {
    expect([1, true, null, undefined, 10n].map((v) => redact(v))).toEqual([
      1,
      true,
      null,
      undefined,
      10n,
    ]);
  });
});
