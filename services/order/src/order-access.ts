/**
 * Who may see and change an order: its customer, and admins for reading. Another
 * user's order is NOT_FOUND, exactly like a missing one, so order ids do not leak.
 */
import type { UserIdentity } from "@shop/libs/auth";
import { Code, ServiceError } from "@shop/libs/errors";
import type { OrderRecord } from "./order-record";
import type { OrderRepository } from "./order-repository";

/** The caller of an AUTHENTICATED RPC; the pipeline guarantees one, this makes it explicit. */
export function callerOf(ctx: { user?: UserIdentity }): UserIdentity {
  if (!ctx.user) throw new ServiceError(Code.UNAUTHENTICATED, "an access token is required");
  return ctx.user;
}

export function canRead(order: OrderRecord, user: UserIdentity): boolean {
  return user.role === "admin" || (order.userId !== null && order.userId === user.userId);
}

function notFound(orderId: string): ServiceError {
  return ServiceError.notFound(`order ${orderId} not found`);
}

/** The order if `user` may read it; NOT_FOUND otherwise. */
export async function findReadableOrder(
  repository: OrderRepository,
  orderId: string,
  user: UserIdentity,
): Promise<OrderRecord> {
  const order = await repository.get(orderId);
  if (!order || !canRead(order, user)) throw notFound(orderId);
  return order;
}

/**
 * The order if `user` placed it. An admin reading someone else's order may not change
 * it (PERMISSION_DENIED: they can see it exists); anyone else gets NOT_FOUND.
 */
export async function findOwnOrder(
  repository: OrderRepository,
  orderId: string,
  user: UserIdentity,
): Promise<OrderRecord> {
  const order = await findReadableOrder(repository, orderId, user);
  if (order.userId !== user.userId) {
    throw new ServiceError(
      Code.PERMISSION_DENIED,
      "only the customer who placed an order may cancel it",
    );
  }
  return order;
}
