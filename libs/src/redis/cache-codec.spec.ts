import { decodeCacheValue, encodeCacheValue } from "./cache-codec";

const roundTrip = (value: unknown) => decodeCacheValue(encodeCacheValue(value));

describe("cache codec", () => {
  it("keeps bigint and Date at the top level, in arrays and in objects", () => {
    expect(roundTrip(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(roundTrip(new Date("2030-01-02T03:04:05.678Z"))).toEqual(
      new Date("2030-01-02T03:04:05.678Z"),
    );
    const value = { ids: [1n, 2n], at: { when: new Date(5) }, text: "2024-01-01T00:00:00Z" };
    expect(roundTrip(value)).toEqual(value);
  });

  it("leaves plain JSON alone, strings that look like dates included", () => {
    const value = { a: 1, b: "x", c: [true, null], d: { $bigint: 5 }, e: { $date: "x", f: 1 } };
    expect(roundTrip(value)).toEqual(value);
    expect(roundTrip("2024-01-01T00:00:00.000Z")).toBe("2024-01-01T00:00:00.000Z");
  });

  it("writes an invalid Date as null, as JSON.stringify does", () => {
    expect(roundTrip({ at: new Date(Number.NaN) })).toEqual({ at: null });
  });
});
