/**
 * Enforces each RPC's access level from the contract before its handler runs.
 * Every token present is verified, whatever the level: a bad token is an error even
 * where no token is needed, so a client never mistakes a broken login for success.
 */
import type { Metadata } from "@grpc/grpc-js";
import {
  type AccessTokenVerifier,
  SERVICE_TOKEN_METADATA,
  type ServiceTokenVerifier,
  type UserIdentity,
} from "../auth";
import { Code, ServiceError } from "../errors";
import type { ServiceName } from "../mesh";
import type { RuntimeConfig } from "../runtime-config";
import type { AccessLevel } from "./access-levels";
import { AUTHORIZATION_METADATA, metadataString } from "./call-context";

export interface CallIdentity {
  readonly user?: UserIdentity;
  readonly caller?: ServiceName;
}

export interface CallAuthenticatorOptions {
  accessLevels: ReadonlyMap<string, AccessLevel>;
  allowedCallers: RuntimeConfig["allowedCallers"];
  accessTokens: AccessTokenVerifier;
  serviceTokens: ServiceTokenVerifier;
}

/** Resolves who is calling `method`, or rejects with UNAUTHENTICATED / PERMISSION_DENIED. */
export type CallAuthenticator = (method: string, metadata: Metadata) => Promise<CallIdentity>;

export function createCallAuthenticator(options: CallAuthenticatorOptions): CallAuthenticator {
  const { accessLevels, allowedCallers, accessTokens, serviceTokens } = options;

  return async (method, metadata) => {
    const level = accessLevels.get(method);
    if (level === undefined) {
      throw new ServiceError(
        Code.PERMISSION_DENIED,
        `${method} declares no access level in the contract`,
      );
    }
    const serviceToken = metadataString(metadata, SERVICE_TOKEN_METADATA);
    const caller =
      serviceToken === undefined
        ? undefined
        : await verified(() => serviceTokens.verify(serviceToken), "invalid service token");
    const user = await userFrom(metadata, accessTokens);

    switch (level) {
      case "public":
        break;
      case "authenticated":
        if (!user) throw unauthenticated(`${method} requires an access token`);
        break;
      case "admin":
        if (!user) throw unauthenticated(`${method} requires an access token`);
        if (user.role !== "admin") {
          throw new ServiceError(Code.PERMISSION_DENIED, `${method} requires the admin role`);
        }
        break;
      case "internal": {
        if (!caller) throw unauthenticated(`${method} requires a service token`);
        const allowed = allowedCallers[method.slice(1)] ?? [];
        if (!allowed.includes(caller)) {
          throw new ServiceError(
            Code.PERMISSION_DENIED,
            `${caller} is not an allowed caller of ${method}`,
          );
        }
        break;
      }
    }
    return { ...(user ? { user } : {}), ...(caller ? { caller } : {}) };
  };
}

async function userFrom(
  metadata: Metadata,
  accessTokens: AccessTokenVerifier,
): Promise<UserIdentity | undefined> {
  const header = metadataString(metadata, AUTHORIZATION_METADATA);
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw unauthenticated("authorization must be 'Bearer <token>'");
  const token = match[1]!;
  return verified(() => accessTokens.verify(token), "invalid access token");
}

/** Verifiers reject with a ServiceError; anything else they throw still means "not verified". */
async function verified<T>(verify: () => Promise<T>, message: string): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError(Code.UNAUTHENTICATED, message, { cause: error });
  }
}

function unauthenticated(message: string): ServiceError {
  return new ServiceError(Code.UNAUTHENTICATED, message);
}
