/**
 * The built-in test payment provider: deterministic by token, as real providers' test
 * tokens are. tok_approve approves, tok_decline declines, tok_error fails technically,
 * tok_timeout authorizes but never answers (the caller's time runs out with the
 * outcome unknown, which is what the saga must handle); any other token is declined
 * as invalid. It keeps its ledger in memory, like a sandbox account.
 */
import { createHash } from "node:crypto";
import {
  type Amount,
  type AuthorizationResult,
  type PaymentCallOptions,
  type PaymentProvider,
  PaymentProviderError,
} from "./payment-provider";

export type TestAuthorizationState = "AUTHORIZED" | "VOIDED" | "REFUNDED";

export interface TestAuthorization {
  readonly authorizationId: string;
  readonly orderId: string;
  readonly amount: Amount;
  state: TestAuthorizationState;
}

/** The test provider, with its ledger readable by tests. */
export interface TestPaymentProvider extends PaymentProvider {
  /** Authorizations by order id. */
  readonly ledger: ReadonlyMap<string, Readonly<TestAuthorization>>;
}

export const TEST_TOKENS = ["tok_approve", "tok_decline", "tok_error", "tok_timeout"] as const;

export function createTestPaymentProvider(): TestPaymentProvider {
  const ledger = new Map<string, TestAuthorization>();
  const byId = new Map<string, TestAuthorization>();

  function record(orderId: string, amount: Amount): TestAuthorization {
    const existing = ledger.get(orderId);
    if (existing) return existing;
    // Derived from the order id: the same order always gets the same authorization.
    const digest = createHash("sha256").update(orderId).digest("hex").slice(0, 24);
    const entry: TestAuthorization = {
      authorizationId: `auth_test_${digest}`,
      orderId,
      amount,
      state: "AUTHORIZED",
    };
    ledger.set(orderId, entry);
    byId.set(entry.authorizationId, entry);
    return entry;
  }

  function settle(
    authorizationId: string,
    to: TestAuthorizationState,
    options: PaymentCallOptions,
  ) {
    options.signal.throwIfAborted();
    const entry = byId.get(authorizationId);
    // An id this sandbox never issued (e.g. from before a restart) has nothing to settle.
    if (entry && entry.state === "AUTHORIZED") entry.state = to;
  }

  return {
    ledger,
    async authorize(orderId, amount, token, options): Promise<AuthorizationResult> {
      options.signal.throwIfAborted();
      switch (token) {
        case "tok_approve":
          return { outcome: "approved", authorizationId: record(orderId, amount).authorizationId };
        case "tok_decline":
          return { outcome: "declined", message: "payment declined" };
        case "tok_error":
          throw new PaymentProviderError("the payment provider failed to process the payment");
        case "tok_timeout":
          record(orderId, amount);
          return new Promise<never>((_resolve, reject) => {
            const { signal } = options;
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        default:
          return { outcome: "declined", message: "payment declined: unknown payment token" };
      }
    },
    async void(authorizationId, options) {
      settle(authorizationId, "VOIDED", options);
    },
    async refund(authorizationId, options) {
      settle(authorizationId, "REFUNDED", options);
    },
    async findAuthorization(orderId, options) {
      options.signal.throwIfAborted();
      return ledger.get(orderId)?.authorizationId;
    },
  };
}
