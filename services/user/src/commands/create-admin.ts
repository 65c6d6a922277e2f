/**
 * Creates an admin account:
 *
 *   tsx services/user/src/commands/create-admin.ts --email ops@example.com [--name Ops]
 *
 * The email comes from --email or ADMIN_EMAIL; the password from ADMIN_PASSWORD or,
 * when that is unset, an interactive prompt that does not echo (asked twice). There is
 * no default password, and the password rules of Register apply (length, not common,
 * not the address). Idempotent for an existing admin (left unchanged); an existing
 * customer account with that address is refused rather than silently promoted.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { type Env, env, parseEnv } from "@shop/libs/config";
import { withTransaction } from "@shop/libs/db";
import { Code, ServiceError } from "@shop/libs/errors";
import { validateNewAccount } from "../accounts/account-service";
import { createUserRepository } from "../adapters/user-repository";
import { createPasswordHasher } from "../domain/password-hasher";
import { userEnvShape } from "../user-config";
import { commandLogger, openUserDatabase, runCommand } from "./command-support";
import { promptHidden } from "./prompt-hidden";

const adminEnvShape = {
  DATABASE_URL: userEnvShape.DATABASE_URL,
  PASSWORD_HASH_MEMORY_KIB: userEnvShape.PASSWORD_HASH_MEMORY_KIB,
  PASSWORD_HASH_ITERATIONS: userEnvShape.PASSWORD_HASH_ITERATIONS,
  PASSWORD_HASH_PARALLELISM: userEnvShape.PASSWORD_HASH_PARALLELISM,
  ADMIN_EMAIL: env.string().optional(),
  ADMIN_PASSWORD: env.string().optional(),
};

/** Asks for the password twice; a mismatch is an error, not a retry loop. */
async function askPassword(read: (prompt: string) => Promise<string>): Promise<string> {
  const first = await read("Admin password: ");
  const second = await read("Repeat it: ");
  if (first !== second) {
    throw new ServiceError(Code.INVALID_ARGUMENT, "the two passwords differ");
  }
  return first;
}

/** The command's body: resolves the account id and whether it was created now. */
export async function createAdmin(options: {
  args: readonly string[];
  env: Env;
  out: (line: string) => void;
  /** Reads a line without echo; used only when ADMIN_PASSWORD is unset. */
  readPassword: (prompt: string) => Promise<string>;
}): Promise<{ id: string; created: boolean }> {
  const { values } = parseArgs({
    args: [...options.args],
    options: { email: { type: "string" }, name: { type: "string" } },
    strict: true,
  });
  const config = parseEnv(adminEnvShape, options.env);
  const email = values.email ?? config.ADMIN_EMAIL;
  if (email === undefined) {
    throw ServiceError.invalidArgument([
      { field: "--email", description: "is required (or set ADMIN_EMAIL)" },
    ]);
  }
  const password = config.ADMIN_PASSWORD ?? (await askPassword(options.readPassword));
  const account = validateNewAccount({ email, password, name: values.name ?? "" });

  const logger = commandLogger();
  const pool = await openUserDatabase(config.DATABASE_URL, logger);
  try {
    const users = createUserRepository(pool);
    const existing = await users.findByEmail(account.email);
    if (existing?.role === "admin") {
      options.out(`admin ${existing.id} already exists; left unchanged`);
      return { id: existing.id, created: false };
    }
    if (existing) {
      throw new ServiceError(
        Code.ALREADY_EXISTS,
        "a customer account has this email; refusing to turn it into an admin",
      );
    }
    const hasher = await createPasswordHasher({
      memoryKib: config.PASSWORD_HASH_MEMORY_KIB,
      iterations: config.PASSWORD_HASH_ITERATIONS,
      parallelism: config.PASSWORD_HASH_PARALLELISM,
    });
    const passwordHash = await hasher.hash(password);
    const id = randomUUID();
    await withTransaction(pool, (client) =>
      users.insert(client, { id, role: "admin", passwordHash, ...account }),
    );
    options.out(`created admin ${id}`);
    return { id, created: true };
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runCommand(async () => {
    await createAdmin({
      args: process.argv.slice(2),
      env: process.env,
      out: console.log,
      readPassword: promptHidden,
    });
  });
}
