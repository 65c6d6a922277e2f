import {
  characterCount,
  emailLookupKey,
  normaliseEmail,
  normaliseName,
  passwordViolations,
  presentedPasswordViolations,
} from "./account-input";
import { isCommonPassword } from "./common-passwords";

describe("normaliseEmail", () => {
  it("trims and lower-cases the domain, keeping the local part as typed", () => {
    expect(normaliseEmail("  Alice.Smith+shop@Example.COM ")).toEqual({
      email: "Alice.Smith+shop@example.com",
      violations: [],
    });
    expect(emailLookupKey("Alice.Smith+shop@example.com")).toBe("alice.smith+shop@example.com");
    expect(normaliseEmail("bob@xn--bcher-kva.example").email).toBe("bob@xn--bcher-kva.example");
  });

  it.each([
    ["", "is required"],
    ["   ", "is required"],
    ["alice", "must be an email address like name@example.com"],
    ["alice@", "must be an email address like name@example.com"],
    ["@example.com", "must be an email address like name@example.com"],
    ["alice@localhost", "must be an email address like name@example.com"],
    ["alice@example.c", "must be an email address like name@example.com"],
    ["alice@-example.com", "must be an email address like name@example.com"],
    ["al..ice@example.com", "must be an email address like name@example.com"],
    [".alice@example.com", "must be an email address like name@example.com"],
    ["alice@@example.com", "must be an email address like name@example.com"],
    ["ålice@example.com", "must be an email address like name@example.com"],
    ["alice smith@example.com", "must be an email address like name@example.com"],
    [`${"a".repeat(65)}@example.com`, "must be an email address like name@example.com"],
    [`a@${"b".repeat(250)}.com`, "must be at most 254 characters"],
    ["alice\u0000@example.com", "must not contain control characters"],
    ["alice@example.com\n", "must not contain control characters"],
  ])("refuses %j: %s", (raw, description) => {
    expect(normaliseEmail(raw).violations).toEqual([{ field: "email", description }]);
  });
});

describe("passwordViolations", () => {
  it("accepts the seed's password and long passphrases", () => {
    expect(passwordViolations("secure123", "alice@example.com")).toEqual([]);
    expect(passwordViolations("correct horse battery staple", undefined)).toEqual([]);
    expect(passwordViolations("ünïcødé-pässwörd", undefined)).toEqual([]);
  });

  it.each([
    ["", "is required"],
    ["short1!", "must be at least 8 characters"],
    ["x".repeat(129), "must be at most 128 characters"],
    ["password", "is too common; choose another"],
    ["Password123", "is too common; choose another"],
    ["qwertyuiop", "is too common; choose another"],
    ["Summer2024!", "is too common; choose another"],
    ["aaaaaaaaaa", "is too common; choose another"],
    ["abcdefghij", "is too common; choose another"],
    ["98765432", "is too common; choose another"],
    ["tab\there1", "must not contain control characters"],
    ["nul\u0000byte", "must not contain control characters"],
    ["alice.smith", "must not be the email address"],
    ["ALICE.SMITH@example.com", "must not be the email address"],
  ])("refuses %j: %s", (password, description) => {
    expect(passwordViolations(password, "alice.smith@example.com")).toEqual([
      { field: "password", description },
    ]);
  });

  it("counts characters, not UTF-16 units", () => {
    expect(characterCount("😀😀😀😀")).toBe(4);
    expect(passwordViolations("😀😀😀😀😀😀😀", undefined)).toEqual([
      { field: "password", description: "must be at least 8 characters" },
    ]);
  });

  it("recognises common passwords regardless of case, but not secure123", () => {
    expect(isCommonPassword("ILoveYou1")).toBe(true);
    expect(isCommonPassword("letmein2019")).toBe(true);
    expect(isCommonPassword("secure123")).toBe(false);
    expect(isCommonPassword("tr0ub4dor&3")).toBe(false);
  });
});

describe("presentedPasswordViolations", () => {
  it("only checks presence, size and control characters", () => {
    expect(presentedPasswordViolations("x")).toEqual([]);
    expect(presentedPasswordViolations("")).toEqual([
      { field: "password", description: "is required" },
    ]);
    expect(presentedPasswordViolations("x".repeat(1025))[0]?.description).toMatch(/at most 1024/);
    expect(presentedPasswordViolations("a\u0007b")[0]?.description).toMatch(/control/);
  });
});

describe("normaliseName", () => {
  it("trims, NFC-normalises and bounds the name", () => {
    expect(normaliseName("  Ame\u0301lie ")).toEqual({ name: "Amélie", violations: [] });
    expect(normaliseName("")).toEqual({ name: "", violations: [] });
    expect(normaliseName("é".repeat(100)).violations).toEqual([]);
    expect(normaliseName("é".repeat(101)).violations).toEqual([
      { field: "name", description: "must be at most 100 characters" },
    ]);
    expect(normaliseName("Bobby\u0000Tables").violations).toEqual([
      { field: "name", description: "must not contain control characters" },
    ]);
    expect(normaliseName("Bob\n").violations).toHaveLength(1);
  });
});
