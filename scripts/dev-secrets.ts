/**
 * Development secrets, generated once into the git-ignored `.dev/secrets.json` and
 * reused afterwards, so re-running setup never invalidates a running mesh. In a
 * cluster the same values come from Kubernetes Secrets.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";

export interface DevSecrets {
  /** Password per database role. */
  dbPasswords: Record<string, string>;
  /** user-service's key-encryption key for its signing keys (base64 of 32 bytes). */
  userKek: string;
}

export const DEV_DIR = join(__dirname, "..", ".dev");
const FILE = join(DEV_DIR, "secrets.json");

export function loadDevSecrets(): DevSecrets {
  const existing: Partial<DevSecrets> = existsSync(FILE)
    ? JSON.parse(readFileSync(FILE, "utf8"))
    : {};
  const secrets: DevSecrets = {
    dbPasswords: { ...existing.dbPasswords },
    userKek: existing.userKek ?? randomBytes(32).toString("base64"),
  };
  for (const s of SERVICES) {
    if (s.database && !secrets.dbPasswords[s.database.role]) {
      secrets.dbPasswords[s.database.role] = randomBytes(18).toString("base64url");
    }
  }
  mkdirSync(DEV_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(FILE, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
