/**
 * Client addresses for a gateway that trusts one proxy hop (TRUST_PROXY_HOPS=1): the
 * test plays the proxy and names the client in X-Forwarded-For. Addresses come from
 * IPv6's documentation prefix (2001:db8::/32): header values only, never contacted.
 */
let next = 1;

/** A client address no other request of this process used. */
export function newClientIp(): string {
  return `2001:db8::${(next++).toString(16)}`;
}

/** The header that makes the gateway see `ip` as the client. */
export function from(ip: string = newClientIp()): Record<string, string> {
  return { "x-forwarded-for": ip };
}
