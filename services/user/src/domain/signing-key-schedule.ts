/**
 * Which signing key signs now, and which public keys the JWKS must publish: the rules of
 * key rotation as one pure function of the keys and the time.
 *
 * Keys are ordered by activation time. The current key is the last one activated; a key
 * is retired when the next one activates. A retired key stays published for
 * `retentionMs` after its retirement (the access-token lifetime plus the time replicas
 * may keep signing with a cached key plus clock skew), so every token it signed verifies
 * until it expires. A key not yet active is published already: every replica and
 * verifier learns it before the first token it signs exists.
 */

export interface ScheduledKey {
  readonly kid: string;
  readonly activatesAt: Date;
  readonly createdAt: Date;
}

export interface KeySchedule<K extends ScheduledKey> {
  /** The key to sign with now; undefined when no key has activated yet. */
  readonly current: K | undefined;
  /** Upcoming, current and recently retired keys, in activation order. */
  readonly published: readonly K[];
  /** Retired keys whose tokens have all expired: safe to delete. */
  readonly expired: readonly K[];
}

function byActivation(a: ScheduledKey, b: ScheduledKey): number {
  return (
    a.activatesAt.getTime() - b.activatesAt.getTime() ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)
  );
}

/** Splits `keys` at time `now` into the current, published and expired keys. */
export function keySchedule<K extends ScheduledKey>(
  keys: readonly K[],
  now: Date,
  retentionMs: number,
): KeySchedule<K> {
  const ordered = [...keys].sort(byActivation);
  const at = now.getTime();
  let current: K | undefined;
  const published: K[] = [];
  const expired: K[] = [];
  ordered.forEach((key, i) => {
    const retiredAt = ordered[i + 1]?.activatesAt.getTime();
    if (key.activatesAt.getTime() <= at && (retiredAt === undefined || retiredAt > at)) {
      current = key;
    }
    if (retiredAt === undefined || retiredAt > at || retiredAt + retentionMs > at) {
      published.push(key);
    } else {
      expired.push(key);
    }
  });
  return { current, published, expired };
}
