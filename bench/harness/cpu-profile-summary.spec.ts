import { type CpuProfile, formatSummary, summariseProfile } from "./cpu-profile-summary";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 9 });

// root -> handler (repo) -> stringify (node:internal) -> writev (native); root -> idle
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 5] },
    { id: 2, callFrame: frame("handle", "file:///r/gateway/src/http/server.ts"), children: [3] },
    { id: 3, callFrame: frame("write", "node:internal/stream_base_commons"), children: [4] },
    { id: 4, callFrame: frame("writev") },
    { id: 5, callFrame: frame("(idle)") },
    { id: 6, callFrame: frame("parse", "file:///r/node_modules/@grpc/grpc-js/build/x.js") },
  ],
  samples: [4, 4, 4, 2, 5, 5, 5, 5, 6, 6],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe("summariseProfile", () => {
  const summary = summariseProfile(profile);

  it("leaves idle time out of the shares", () => {
    expect(summary.totalMs).toBe(10);
    expect(summary.busyMs).toBe(6);
  });

  it("groups self time by package, built-in or repo folder, and by function", () => {
    expect(summary.byPlace).toEqual([
      ["writev", 50],
      ["@grpc/grpc-js", (100 * 2) / 6],
      ["gateway/src", (100 * 1) / 6],
    ]);
    expect(summary.byFunction[0]).toEqual(["writev", 50]);
    expect(summary.byFunction.map(([fn]) => fn)).toContain("handle http/server.ts:10");
  });

  it("names the first caller outside node's internals", () => {
    expect(summary.callers[0]).toEqual(["writev", [["handle http/server.ts:10", 50]]]);
    expect(formatSummary(summary)).toContain("50.0 %  <- handle http/server.ts:10");
  });
});

describe("summariseProfile with skipMs", () => {
  it("leaves out the samples of the first milliseconds", () => {
    // The first 4 samples (3 writev, 1 handle) fall in the skipped 4 ms.
    const late = summariseProfile(profile, 20, 4);
    expect(late.totalMs).toBe(6);
    expect(late.busyMs).toBe(2);
    expect(late.byPlace).toEqual([["@grpc/grpc-js", 100]]);
  });
});
