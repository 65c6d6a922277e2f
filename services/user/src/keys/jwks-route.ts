/**
 * `GET /.well-known/jwks.json` on the admin port: the public signing keys every verifier
 * (the gateway, each service, Istio's RequestAuthentication) fetches.
 */
import type { AdminRoute } from "@shop/libs/admin";
import type { Logger } from "@shop/libs/logging";
import type { SigningKeyStore } from "./signing-key-store";

/** The path of the JWKS on the admin server. */
export const JWKS_PATH = "/.well-known/jwks.json";

/**
 * Short enough that a verifier caching by HTTP rules sees a new key within a minute;
 * keys are published before they sign (see keySchedule), so this is never on the
 * critical path of a rotation.
 */
export const JWKS_MAX_AGE_SECONDS = 60;

export function createJwksRoute(keys: SigningKeyStore, logger: Logger): AdminRoute {
  return async (req, res) => {
    let body: string;
    try {
      body = JSON.stringify(await keys.jwks());
    } catch (error) {
      // Before migrations ran or while the database is unreachable with nothing cached.
      logger.warn({ err: error }, "JWKS unavailable");
      res.writeHead(503, {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
        "retry-after": "1",
      });
      res.end(JSON.stringify({ status: "unavailable" }));
      return;
    }
    res.writeHead(200, {
      "content-type": "application/jwk-set+json",
      "content-length": Buffer.byteLength(body),
      "cache-control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
    });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}
