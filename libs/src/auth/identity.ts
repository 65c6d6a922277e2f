/**
 * Who is calling. A call carries at most one end user (the access JWT the gateway
 * forwards in `authorization`) and at most one calling service (its service token in
 * `x-service-token`); each is verified before the handler runs.
 */
import type { ServiceName } from "../mesh";

export type Role = "customer" | "admin";

/** An end user, from a verified access token. */
export interface UserIdentity {
  readonly userId: string;
  readonly role: Role;
  /** The raw access token, forwarded on downstream calls so they re-verify it. */
  readonly token: string;
  /** Seconds since the epoch when the token expires. */
  readonly expiresAt: number;
}

/** Verifies end users' access tokens (JWTs issued by user-service). */
export interface AccessTokenVerifier {
  /** Resolves the identity or rejects with ServiceError UNAUTHENTICATED. */
  verify(token: string): Promise<UserIdentity>;
}

/** Issues this process's short-lived service token for outgoing calls. */
export interface ServiceTokenSigner {
  readonly service: ServiceName;
  /** A valid token, cached and renewed before it expires. */
  token(): Promise<string>;
}

/** Verifies other processes' service tokens. */
export interface ServiceTokenVerifier {
  /** Resolves the calling service's name or rejects with ServiceError UNAUTHENTICATED. */
  verify(token: string): Promise<ServiceName>;
}

/** The metadata key carrying the service token (the user's token stays in authorization). */
export const SERVICE_TOKEN_METADATA = "x-service-token";

/** The `aud` of every service token: the mesh as a whole, not one receiver. */
export const SERVICE_TOKEN_AUDIENCE = "shop-mesh";
