/**
 * The secret scan: every log line and every span a mesh produced, searched for the
 * secrets the suite handled (passwords, access and refresh tokens, forged tokens),
 * the password hashes and signing material in user-service's database, the mesh's own
 * secrets (KEK, database passwords), and anything shaped like a payment card number.
 */
import type { TestMesh } from "../../support/test-mesh";
import { sql } from "./sql";

/** The secrets a test file handed to the mesh, to be looked for afterwards. */
export interface SecretLedger {
  add(label: string, ...values: (string | undefined)[]): void;
  entries(): [label: string, value: string][];
}

export function createSecretLedger(): SecretLedger {
  const values = new Map<string, string>();
  return {
    add(label, ...secrets) {
      // Short values would match by accident; nothing the suite uses is that short.
      for (const s of secrets) if (s && s.length >= 8) values.set(s, label);
    },
    entries: () => [...values].map(([value, label]) => [label, value]),
  };
}

/**
 * 13-19 digits in one run, or in groups of four split by one space or dash as cards
 * are printed ("4111 1111 1111 1111"), not inside a longer token or a decimal number.
 */
const CARD_LIKE =
  /(?<![0-9A-Za-z_-]|\d\.)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7})(?![0-9A-Za-z_]|\.\d)/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Card numbers of the major schemes (2-6), excluding epoch timestamps in ms/us/ns. */
export function cardNumbersIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(CARD_LIKE)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (!/^[2-6]/.test(digits) || !luhn(digits)) continue;
    const asMs = Number(digits) / 10 ** (digits.length - 13);
    if (asMs > 1.4e12 && asMs < 2.2e12) continue;
    found.push(match[0]);
  }
  return found;
}

export interface SecretFinding {
  where: string;
  secret: string;
  excerpt: string;
}

/** Every place a secret or card number shows up in the mesh's logs and spans. */
export async function scanForSecrets(
  mesh: TestMesh,
  ledger: SecretLedger,
): Promise<{ findings: SecretFinding[]; lines: number; spans: number; secrets: number }> {
  const secrets = [...ledger.entries()];
  const users = mesh.databases["user-service"]!.url;
  for (const row of await sql<{ h: string }>(users, "SELECT password_hash AS h FROM users")) {
    secrets.push(["password hash", row.h]);
    // The hash's salt and digest parts on their own, should a log split the PHC string.
    for (const part of row.h.split("$").filter((p) => p.length >= 16)) {
      secrets.push(["password hash part", part]);
    }
  }
  for (const row of await sql<{ c: string }>(
    users,
    "SELECT encode(private_key_ciphertext, 'base64') AS c FROM signing_keys",
  )) {
    secrets.push(["sealed signing key", row.c.slice(0, 40)]);
  }
  const env = mesh.envs["user-service"];
  if (env.USER_KEK) secrets.push(["USER_KEK", env.USER_KEK]);
  for (const service of Object.values(mesh.envs)) {
    const url = service.DATABASE_URL ? new URL(service.DATABASE_URL) : undefined;
    if (url?.password) secrets.push(["database password", decodeURIComponent(url.password)]);
  }

  // Trace and span ids are left out: hex that happens to be all digits is no card.
  const sources: [string, string][] = [
    ...mesh
      .logs()
      .map(({ traceId: _t, spanId: _s, ...line }, i): [string, string] => [
        `log line ${i} (${String(line.service)})`,
        JSON.stringify(line),
      ]),
    ...mesh
      .spans()
      .map(({ traceId: _t, spanId: _s, parentSpanId: _p, ...span }, i): [string, string] => [
        `span ${i} ${span.name} (${span.service})`,
        JSON.stringify(span),
      ]),
  ];
  const findings: SecretFinding[] = [];
  for (const [where, text] of sources) {
    for (const [label, value] of secrets) {
      const at = text.indexOf(value);
      if (at >= 0) findings.push({ where, secret: label, excerpt: excerpt(text, at) });
    }
    for (const card of cardNumbersIn(text)) {
      findings.push({
        where,
        secret: "card-like number",
        excerpt: excerpt(text, text.indexOf(card)),
      });
    }
  }
  return {
    findings,
    lines: mesh.logs().length,
    spans: mesh.spans().length,
    secrets: secrets.length,
  };
}

function excerpt(text: string, at: number): string {
  return text.slice(Math.max(0, at - 80), at + 40).replace(/[A-Za-z0-9_-]{24,}/g, "<redacted>");
}

/** Scans and asserts nothing was found; prints the counts. */
export async function expectNoSecrets(mesh: TestMesh, ledger: SecretLedger): Promise<void> {
  const scan = await scanForSecrets(mesh, ledger);
  process.stdout.write(
    `[reliability] secret scan: ${scan.lines} log lines and ${scan.spans} spans searched for ${scan.secrets} secrets and card numbers: ${scan.findings.length} found\n`,
  );
  expect(scan.findings.slice(0, 10)).toEqual([]);
  expect(scan.lines).toBeGreaterThan(0);
  expect(scan.spans).toBeGreaterThan(0);
}
