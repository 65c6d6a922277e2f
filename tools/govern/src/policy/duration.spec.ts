import { formatDuration, parseDuration } from "./duration";

describe("durations", () => {
  it("parses one number and one unit into milliseconds", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
  });

  it("refuses what Istio and the runtime config would read differently", () => {
    for (const bad of ["2 seconds", "1m30s", "-1s", "1.0001s", "s", "01s", "10"])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it("formats in the largest whole unit", () => {
    expect([0, 250, 2000, 300_000, 7_200_000].map(formatDuration)).toEqual([
      "0s",
      "250ms",
      "2s",
      "5m",
      "2h",
    ]);
  });
});
