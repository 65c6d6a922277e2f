import { createLogger } from "../logging";
import { createMemoryEventBus } from "./memory-event-bus";
import { describeEventBusContract } from "./testing/event-bus-contract";

describeEventBusContract("memory bus", async () => ({
  bus: createMemoryEventBus({
    logger: createLogger({ service: "order-service", level: "silent" }),
  }),
  cleanup: async () => undefined,
}));

describe("createMemoryEventBus", () => {
  it("keeps the newest maxLen entries; a group behind the trimmed ones skips them", async () => {
    const bus = createMemoryEventBus({
      maxLen: 3,
      logger: createLogger({ service: "x", level: "silent" }),
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await bus.publish("s", new Uint8Array([i])));
    const seen: number[] = [];
    const sub = bus.consume({
      stream: "s",
      group: "g",
      consumer: "c",
      blockMs: 10,
      handler: async (e) => void seen.push(e.envelope[0]!),
    });
    await sub.ready;
    await new Promise<void>((resolve) => {
      const check = () => (seen.length >= 3 ? resolve() : setTimeout(check, 5));
      check();
    });
    await bus.close();
    expect(seen).toEqual([2, 3, 4]);
    expect(new Set(ids).size).toBe(5);
  });
});
