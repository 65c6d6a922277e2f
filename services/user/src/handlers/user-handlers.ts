/**
 * shop.user.v1.UserService over gRPC: maps requests to the account and privacy
 * services and their results to the contract's messages. Access levels are enforced by
 * libs before these run; ownership is by construction (every "me" RPC acts on the
 * verified token's subject and nothing else).
 */

import {
  Role,
  type Session,
  type User,
  type UserServiceService,
} from "@shop/gen/ts/shop/user/v1/user";
import type { Role as TokenRole } from "@shop/libs/auth";
import { Code, ServiceError } from "@shop/libs/errors";
import type { CallContext, Handlers } from "@shop/libs/grpc";
import type { AccountService } from "../accounts/account-service";
import type { PrivacyService } from "../accounts/privacy-service";
import type { SessionRecord } from "../adapters/session-repository";
import type { UserRecord } from "../adapters/user-repository";

const TOKEN_TYPE = "Bearer";

const ROLES: Record<TokenRole, Role> = { customer: Role.ROLE_CUSTOMER, admin: Role.ROLE_ADMIN };

/** An account as the contract shows it: never the password hash. */
export function userToProto(user: UserRecord): User {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: ROLES[user.role],
    createTime: user.createdAt,
    updateTime: user.updatedAt,
  };
}

export function sessionToProto(session: SessionRecord): Session {
  return {
    id: session.id,
    createTime: session.createdAt,
    lastUseTime: session.lastUsedAt ?? undefined,
    revokeTime: session.revokedAt ?? undefined,
  };
}

/** The verified caller of an AUTHENTICATED RPC (libs guarantees one; checked anyway). */
function callerId(ctx: CallContext): string {
  if (!ctx.user) throw new ServiceError(Code.UNAUTHENTICATED, "an access token is required");
  return ctx.user.userId;
}

export function createUserHandlers(deps: {
  accounts: AccountService;
  privacy: PrivacyService;
}): Handlers<typeof UserServiceService> {
  const { accounts, privacy } = deps;
  return {
    async register(request, ctx) {
      const signedIn = await accounts.register(request, { signal: ctx.signal });
      return {
        user: userToProto(signedIn.user),
        accessToken: signedIn.accessToken.token,
        refreshToken: signedIn.refreshToken,
        tokenType: TOKEN_TYPE,
        expiresIn: signedIn.accessToken.expiresIn,
      };
    },

    async login(request, ctx) {
      const signedIn = await accounts.login(request, ctx.clientIp, ctx.signal);
      return {
        user: userToProto(signedIn.user),
        accessToken: signedIn.accessToken.token,
        refreshToken: signedIn.refreshToken,
        tokenType: TOKEN_TYPE,
        expiresIn: signedIn.accessToken.expiresIn,
      };
    },

    async refreshToken(request) {
      const pair = await accounts.refresh(request.refreshToken);
      return {
        accessToken: pair.accessToken.token,
        refreshToken: pair.refreshToken,
        tokenType: TOKEN_TYPE,
        expiresIn: pair.accessToken.expiresIn,
      };
    },

    async getMe(_request, ctx) {
      return { user: userToProto(await privacy.getMe(callerId(ctx))) };
    },

    async exportMyData(_request, ctx) {
      const data = await privacy.exportData(callerId(ctx));
      return {
        user: userToProto(data.user),
        sessions: data.sessions.map(sessionToProto),
        exportTime: data.exportTime,
      };
    },

    async deleteMe(request, ctx) {
      await privacy.deleteMe(callerId(ctx), request.password, ctx.clientIp, ctx.signal);
      return {};
    },

    async getUser(request) {
      return { user: userToProto(await privacy.getUser(request.userId)) };
    },
  };
}
