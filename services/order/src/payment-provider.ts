/**
 * The payment provider behind the saga. Only tokens and the provider's authorization
 * ids cross this interface: card data never reaches order-service. Every operation is
 * idempotent (an authorization by order id, the others by authorization id), so the
 * saga may repeat any of them after a crash.
 */

/** An amount in minor units of a currency. */
export interface Amount {
  readonly currencyCode: string;
  readonly amountMinor: bigint;
}

export type AuthorizationResult =
  | { readonly outcome: "approved"; readonly authorizationId: string }
  /** The provider refused the payment; `message` is readable by the customer. */
  | { readonly outcome: "declined"; readonly message: string };

export interface PaymentCallOptions {
  /** Aborted when the call's time is up: the outcome is then unknown. */
  readonly signal: AbortSignal;
}

export interface PaymentProvider {
  /**
   * Authorizes `amount` for `orderId`, paid with `token`. Idempotent by order id: a
   * repeat answers what the first call did. Throws PaymentProviderError on a technical
   * failure; rejects when `signal` aborts (outcome unknown).
   */
  authorize(
    orderId: string,
    amount: Amount,
    token: string,
    options: PaymentCallOptions,
  ): Promise<AuthorizationResult>;
  /** Releases an authorization nothing was charged on. Idempotent. */
  void(authorizationId: string, options: PaymentCallOptions): Promise<void>;
  /** Gives back the money of an authorization. Idempotent. */
  refund(authorizationId: string, options: PaymentCallOptions): Promise<void>;
  /**
   * The authorization made for `orderId`, if any: how an authorization whose answer
   * was lost (a timeout) is found again to be voided.
   */
  findAuthorization(orderId: string, options: PaymentCallOptions): Promise<string | undefined>;
}

/** A technical failure of the provider (not a decline): the order ends FAILED. */
export class PaymentProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentProviderError";
  }
}
