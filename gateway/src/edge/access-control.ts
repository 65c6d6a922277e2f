/**
 * The edge's check of each RPC's `access` option, with libs' access-token verifier:
 * authenticated and admin routes need a valid access JWT (401 without one, 403 for the
 * wrong role). A token presented to a public route is verified too, as the services
 * do: a broken login must not pass for an anonymous call. The token itself is
 * forwarded, so the services verify it again and authorise ownership.
 */
import type { AccessTokenVerifier, UserIdentity } from "@shop/libs/auth";
import { Code, ServiceError } from "@shop/libs/errors";
import type { AccessLevel } from "@shop/libs/grpc";
import { EdgeError } from "./edge-error";

export type EdgeAccess = Exclude<AccessLevel, "internal">;

export interface AccessControl {
  /**
   * The caller's identity when a token was presented. Rejects with EdgeError
   * UNAUTHENTICATED (with WWW-Authenticate) or PERMISSION_DENIED.
   */
  authorize(
    access: EdgeAccess,
    authorization: string | undefined,
  ): Promise<UserIdentity | undefined>;
}

const REALM = "shop";

export function createAccessControl(verifier: AccessTokenVerifier): AccessControl {
  return {
    async authorize(access, authorization) {
      let user: UserIdentity | undefined;
      if (authorization !== undefined) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
        if (!match) throw challenge("authorization must be 'Bearer <token>'", "invalid_request");
        try {
          user = await verifier.verify(match[1]!);
        } catch (error) {
          const failure = error instanceof ServiceError ? error : undefined;
          // UNAVAILABLE: the JWKS cannot be fetched; the token may well be fine.
          if (failure && failure.code !== Code.UNAUTHENTICATED) throw failure;
          throw challenge(failure?.message ?? "invalid access token", "invalid_token", failure);
        }
      }
      if (access === "public") return user;
      if (!user) throw challenge("this route requires an access token");
      if (access === "admin" && user.role !== "admin") {
        throw new EdgeError(Code.PERMISSION_DENIED, "this route requires the admin role", {
          headers: { "www-authenticate": `Bearer realm="${REALM}", error="insufficient_scope"` },
        });
      }
      return user;
    },
  };
}

/** RFC 6750: a 401 names the scheme, and why when a token was presented. */
function challenge(message: string, error?: string, cause?: ServiceError): EdgeError {
  const header = error ? `Bearer realm="${REALM}", error="${error}"` : `Bearer realm="${REALM}"`;
  return new EdgeError(Code.UNAUTHENTICATED, message, {
    headers: { "www-authenticate": header },
    ...(cause ? { cause, reason: cause.reason } : {}),
  });
}

/** The WWW-Authenticate of a 401 that came from a backend rather than the edge. */
export const DEFAULT_CHALLENGE = `Bearer realm="${REALM}"`;
