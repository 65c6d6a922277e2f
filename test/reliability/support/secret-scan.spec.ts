import { cardNumbersIn } from "./secret-scan";

describe("the secret scan's card detector", () => {
  it.each([
    "card 4111111111111111 here",
    '{"paymentToken":"4111 1111 1111 1111"}',
    "5555-5555-5555-4444",
    "amex 378282246310005",
    "card 4111111111111111.",
  ])("finds %s", (text) => {
    expect(cardNumbersIn(text)).toHaveLength(1);
  });

  it.each([
    "timestamp 1795907949233 and 1795907949233000000",
    "uuid 0a412695-39dd-44c1-a7f4-123456789012",
    "span 5211356718610652a",
    "4111111111111112 fails Luhn",
    "EVALSHA abc 2 key 1795907949233 60000 4",
    "order 12345",
    '"durationMs":1096.2263149999999,',
    "version 2263149999999.5",
  ])("ignores %s", (text) => {
    expect(cardNumbersIn(text)).toEqual([]);
  });
});
