import { edgeDeadline } from "./edge-pipeline";

describe("edgeDeadline", () => {
  const now = 1_000_000;

  it("is the route's policy timeout when the client sets none", () => {
    expect(edgeDeadline(undefined, 3_000, now)).toEqual({
      at: new Date(now + 3_000),
      setByClient: false,
    });
  });

  it("takes a shorter client timeout, and says the client set it", () => {
    expect(edgeDeadline(250, 3_000, now)).toEqual({ at: new Date(now + 250), setByClient: true });
  });

  it("caps a longer client timeout at the route's, which is then the policy's deadline", () => {
    expect(edgeDeadline(60_000, 3_000, now)).toEqual({
      at: new Date(now + 3_000),
      setByClient: false,
    });
    expect(edgeDeadline(3_000, 3_000, now).setByClient).toBe(false);
  });
});
