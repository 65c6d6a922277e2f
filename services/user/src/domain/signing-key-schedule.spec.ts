import { keySchedule, type ScheduledKey } from "./signing-key-schedule";

const MINUTE = 60_000;
const t0 = Date.parse("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(t0 + minutes * MINUTE);
const key = (kid: string, activatesMin: number, createdMin = activatesMin): ScheduledKey => ({
  kid,
  activatesAt: at(activatesMin),
  createdAt: at(createdMin),
});
const kids = (keys: readonly ScheduledKey[]) => keys.map((k) => k.kid);
const RETENTION = 20 * MINUTE;

describe("keySchedule", () => {
  it("has no current key before any key activates", () => {
    expect(keySchedule([], at(0), RETENTION)).toEqual({
      current: undefined,
      published: [],
      expired: [],
    });
    const early = keySchedule([key("a", 5)], at(0), RETENTION);
    expect(early.current).toBeUndefined();
    expect(kids(early.published)).toEqual(["a"]);
  });

  it("publishes a new key before it signs, then keeps the old one for the retention", () => {
    const keys = [key("b", 60, 58), key("a", 0)];
    // Rotated at minute 58 with a 2-minute delay: b is published, a still signs.
    let s = keySchedule(keys, at(59), RETENTION);
    expect(s.current?.kid).toBe("a");
    expect(kids(s.published)).toEqual(["a", "b"]);
    // b signs from minute 60; a stays published for its tokens.
    s = keySchedule(keys, at(60), RETENTION);
    expect(s.current?.kid).toBe("b");
    expect(kids(s.published)).toEqual(["a", "b"]);
    s = keySchedule(keys, at(79.99), RETENTION);
    expect(kids(s.published)).toEqual(["a", "b"]);
    // Every token a signed has expired: a leaves the JWKS and may be deleted.
    s = keySchedule(keys, at(80), RETENTION);
    expect(kids(s.published)).toEqual(["b"]);
    expect(kids(s.expired)).toEqual(["a"]);
  });

  it("retires each key when the next activates, through several rotations", () => {
    const keys = [key("c", 30), key("a", 0), key("b", 10)];
    const s = keySchedule(keys, at(35), RETENTION);
    expect(s.current?.kid).toBe("c");
    // a retired at 10 (+20 = 30, gone), b retired at 30 (+20 = 50, kept).
    expect(kids(s.published)).toEqual(["b", "c"]);
    expect(kids(s.expired)).toEqual(["a"]);
  });

  it("orders keys activating together by creation time, then kid", () => {
    const s = keySchedule([key("z", 0, 1), key("y", 0, 2), key("x", 0, 2)], at(5), RETENTION);
    expect(s.current?.kid).toBe("y");
    expect(kids(s.published)).toEqual(["z", "x", "y"]);
  });
});
