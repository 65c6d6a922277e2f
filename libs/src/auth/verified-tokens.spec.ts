import { createVerifiedTokens } from "./verified-tokens";

describe("createVerifiedTokens", () => {
  let clock = 1_000_000_000_000;
  const now = () => clock;
  const inSec = (seconds: number) => (clock + seconds * 1000) / 1000;

  it("keeps a token until its exp, and at most maxAgeMs", () => {
    const memo = createVerifiedTokens<string>({ now, maxAgeMs: 60_000 });
    memo.set("short", "a", inSec(10));
    memo.set("long", "b", inSec(3600));
    expect(memo.get("short")).toBe("a");
    expect(memo.get("long")).toBe("b");
    clock += 10_000;
    expect(memo.get("short")).toBeUndefined(); // at exp: gone
    expect(memo.get("long")).toBe("b");
    clock += 50_000;
    expect(memo.get("long")).toBeUndefined(); // 60 s after it verified: checked again
    expect(memo.size).toBe(0);
  });

  it("ignores an expired token, drops the oldest beyond maxEntries, and can be off", () => {
    const memo = createVerifiedTokens<number>({ now, maxEntries: 2 });
    memo.set("gone", 0, inSec(-1));
    expect(memo.get("gone")).toBeUndefined();
    memo.set("t1", 1, inSec(60));
    memo.set("t2", 2, inSec(60));
    memo.set("t1", 11, inSec(60)); // a refresh makes t1 the newest
    memo.set("t3", 3, inSec(60));
    expect([memo.get("t1"), memo.get("t2"), memo.get("t3")]).toEqual([11, undefined, 3]);

    const off = createVerifiedTokens<number>({ now, maxEntries: 0 });
    off.set("t", 1, inSec(60));
    expect(off.get("t")).toBeUndefined();
  });
});
