/**
 * Rotates the access-token signing key:
 *
 *   tsx services/user/src/commands/rotate-keys.ts [--activate-in 90s] [--list]
 *
 * Adds a new key, published in the JWKS at once and signing from `--activate-in` on
 * (default: one key-refresh interval plus the JWKS cache age, so every replica and
 * cache knows the key before its first token exists; `0s` switches at once). The
 * previous key stays published until every token it signed has expired; keys past that
 * are deleted here, private half included. `--list` shows the keys and changes nothing.
 *
 * Reads DATABASE_URL and USER_KEK (and the other user-service variables) like the
 * service. Running replicas pick the new key up within SIGNING_KEY_REFRESH.
 */
import { parseArgs } from "node:util";
import type { Env } from "@shop/libs/config";
import { parseDurationMs } from "@shop/libs/config";
import { ServiceError } from "@shop/libs/errors";
import { createKeyEncryption } from "../keys/key-encryption";
import { createSigningKeyRepository } from "../keys/signing-key-repository";
import { createSigningKeyStore, type SigningKeyStore } from "../keys/signing-key-store";
import { parseUserConfig } from "../user-config";
import { keyPublicationDelayMs, keyRetentionMs } from "../user-service";
import { commandLogger, openUserDatabase, runCommand } from "./command-support";

async function printKeys(store: SigningKeyStore, out: (line: string) => void): Promise<void> {
  out("keys:");
  for (const key of await store.list()) {
    out(`  ${key.kid}  ${key.state.padEnd(8)}  activates ${key.activatesAt.toISOString()}`);
  }
}

/** The command's body; `out` receives what it prints. */
export async function rotateKeys(options: {
  args: readonly string[];
  env: Env;
  out: (line: string) => void;
}): Promise<{ kid?: string; activatesAt?: Date; pruned: string[] }> {
  const { values } = parseArgs({
    args: [...options.args],
    options: { "activate-in": { type: "string" }, list: { type: "boolean" } },
    strict: true,
  });
  const config = parseUserConfig(options.env);
  const activateInText = values["activate-in"];
  const activateInMs =
    activateInText === undefined ? keyPublicationDelayMs(config) : parseDurationMs(activateInText);
  if (activateInMs === undefined) {
    throw ServiceError.invalidArgument([
      { field: "--activate-in", description: "expected a duration like 0s, 90s or 10m" },
    ]);
  }

  const logger = commandLogger();
  const pool = await openUserDatabase(config.DATABASE_URL, logger);
  try {
    const store = createSigningKeyStore({
      repository: createSigningKeyRepository(pool),
      encryption: createKeyEncryption({
        current: config.USER_KEK,
        previous: config.USER_KEK_PREVIOUS ?? [],
      }),
      retentionMs: keyRetentionMs(config),
      refreshMs: 0,
      logger,
    });
    if (values.list) {
      await printKeys(store, options.out);
      return { pruned: [] };
    }
    const added = await store.rotate(new Date(Date.now() + activateInMs));
    options.out(
      `added signing key ${added.kid}, signing from ${added.activatesAt.toISOString()} ` +
        `(in ${Math.round(activateInMs / 1000)} s)`,
    );
    const pruned = await store.prune();
    options.out(`deleted expired keys: ${pruned.length > 0 ? pruned.join(", ") : "none"}`);
    await printKeys(store, options.out);
    return { ...added, pruned };
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runCommand(async () => {
    await rotateKeys({ args: process.argv.slice(2), env: process.env, out: console.log });
  });
}
