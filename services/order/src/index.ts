/**
 * order-service: start it with startOrderService (main.ts, the embedded mode). The
 * payment provider interface and the built-in test provider are exported for the
 * embedded mode and tests that want to read the provider's ledger.
 */

export {
  ORDER_MIGRATIONS_DIR,
  type OrderServiceOptions,
  type RunningOrderService,
  startOrderService,
} from "./order-service";
export type { Amount, AuthorizationResult, PaymentProvider } from "./payment-provider";
export { PaymentProviderError } from "./payment-provider";
export { createTestPaymentProvider, type TestPaymentProvider } from "./test-payment-provider";
