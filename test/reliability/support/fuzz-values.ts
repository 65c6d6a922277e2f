/**
 * The hostile values the mutation fuzzer draws from: wrong types, edge numbers, huge
 * and deep values, SQL and template metacharacters, NUL and control characters, lone
 * surrogates, a card number, and the seeded PRNG that picks them reproducibly.
 */

/** mulberry32: small, seedable, good enough to pick mutations reproducibly. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

export type Random = ReturnType<typeof createRandom>;

const deep = (depth: number): unknown => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** A card number the secret scan must never find in a log or span. */
export const FUZZ_CARD_NUMBER = "4111111111111111";

/** Values that replace a JSON field (any type goes). */
export const HOSTILE_VALUES: readonly unknown[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\u202e\u0007\u001b[31m",
  "💥".repeat(500),
  "A".repeat(100_000),
  "' OR '1'='1",
  "'); DROP TABLE orders; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, literally.
  "${jndi:ldap://127.0.0.1/x}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "%00",
  FUZZ_CARD_NUMBER,
  "4111 1111 1111 1111",
  -1,
  0,
  1,
  1.5,
  -0,
  2147483647,
  2147483648,
  -2147483649,
  "9007199254740993",
  1e308,
  -1e308,
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "NaN",
  "Infinity",
  "1e3",
  "0x10",
  true,
  false,
  null,
  [],
  {},
  [1, "two", null],
  Array.from({ length: 5_000 }, (_, i) => i),
  deep(200),
  deep(1_000),
];

/** Values that replace a path segment or a query parameter (text). */
export const HOSTILE_TEXT: readonly string[] = [
  "",
  "%00",
  "a%00b",
  "%C0%AF",
  "%FF%FE",
  "%E2%80%AE",
  "..%2F..%2Fetc%2Fpasswd",
  "%2e%2e",
  "'%20OR%20'1'%3D'1",
  "%3Cscript%3E",
  "-1",
  "0",
  "2147483648",
  "99999999999999999999999",
  "1.5",
  "true",
  "null",
  "%7B%7D",
  "00000000-0000-0000-0000-000000000000",
  "ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ",
  "A".repeat(3_000),
  "%F0%9F%92%A5".repeat(50),
];

/** Raw bodies that are not the JSON the route expects. */
export const HOSTILE_BODIES: readonly (string | Uint8Array)[] = [
  "",
  "null",
  "[]",
  '"text"',
  "{",
  '{"a":}',
  '{"a":1,"a":2}',
  "[".repeat(100_000) + "]".repeat(100_000),
  `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
  new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
  new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
];

/** Header values that might confuse the edge. */
export const HOSTILE_HEADERS: readonly [string, string][] = [
  ["grpc-timeout", "0S"],
  ["grpc-timeout", "1n"],
  ["grpc-timeout", "99999999H"],
  ["grpc-timeout", "abc"],
  ["idempotency-key", "k".repeat(4_000)],
  ["idempotency-key", "' OR 1=1 --"],
  ["idempotency-key", ""],
  ["x-request-id", "../../etc"],
  ["content-type", "text/plain"],
  ["content-type", "application/x-www-form-urlencoded"],
  ["authorization", "Bearer "],
  ["authorization", "Basic YWRtaW46YWRtaW4="],
  ["grpc-metadata-x-service-token", "forged"],
  ["grpc-metadata-x-client-ip", "127.0.0.1"],
  ["grpc-metadata-bad-bin", "!!!not base64!!!"],
  ["traceparent", "00-zzzz-zzzz-01"],
];
