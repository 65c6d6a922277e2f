/**
 * Account erasures during a fault: each account places an order, then erases itself
 * (DeleteMe), so a UserDeleted event has to cross the bus to order-service while the
 * fault lasts. Each step is retried with the same Idempotency-Key until it succeeds or
 * its time is up, as a client would.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { TestMesh } from "../../support/test-mesh";
import type { Attempt } from "./load-generator";
import { type Account, call } from "./mesh-client";

const STEP_BUDGET_MS = 20_000;

async function untilOk(
  record: (a: Attempt) => void,
  base: Pick<Attempt, "kind" | "index" | "key">,
  send: () => ReturnType<typeof call>,
): Promise<boolean> {
  const until = Date.now() + STEP_BUDGET_MS;
  for (let attempt = 1; Date.now() < until; attempt++) {
    const at = Date.now();
    const entry: Attempt = { ...base, attempt, status: 0, ms: 0, at };
    try {
      const answer = await send();
      entry.status = answer.status;
      entry.jsonStatus = typeof answer.json?.code === "number";
      if (answer.status !== 200 && typeof answer.json?.message === "string") {
        entry.message = answer.json.message;
      }
    } catch (error) {
      entry.status = (error as Error).name === "TimeoutError" ? -1 : 0;
      entry.error = (error as Error).message;
    }
    entry.ms = Date.now() - at;
    record(entry);
    if (entry.status === 200) return true;
    if (entry.status >= 400 && entry.status < 500) return false;
    await sleep(500);
  }
  return false;
}

/** Orders once with each account and erases it; resolves every exchange and the erased ids. */
export async function eraseAccounts(
  mesh: TestMesh,
  accounts: readonly Account[],
  productId: string,
): Promise<{ attempts: Attempt[]; erased: string[] }> {
  const attempts: Attempt[] = [];
  const erased: string[] = [];
  const record = (a: Attempt) => attempts.push(a);
  await Promise.all(
    accounts.map(async (account, index) => {
      const key = `erasure-${account.id}`;
      await untilOk(record, { kind: "erase-order", index, key }, () =>
        call(mesh.gatewayUrl, "POST", "/api/orders", {
          token: account.accessToken,
          headers: { "idempotency-key": key },
          body: { productId, quantity: 1 },
        }),
      );
      const deleted = await untilOk(record, { kind: "erase", index, key: `${key}-delete` }, () =>
        call(mesh.gatewayUrl, "POST", "/api/users/me:delete", {
          token: account.accessToken,
          body: { password: account.password },
        }),
      );
      if (deleted) erased.push(account.id);
    }),
  );
  return { attempts, erased };
}
