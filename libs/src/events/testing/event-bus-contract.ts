import { randomBytes } from "node:crypto";
import { eventually } from "../../testing/eventually";
import type { EventBus, StreamEntry, Subscription } from "../event-bus";

export interface ContractTarget {
  bus: EventBus;
  /** Called once at the end with every stream the suite used. */
  cleanup(streams: string[]): Promise<void>;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (entry: StreamEntry) => new TextDecoder().decode(entry.envelope);

/**
 * The behaviour every EventBus must have, run against the Redis and the memory bus
 * alike: consumer groups (ordering, one member per entry, redelivery of failed and
 * orphaned entries) and tails (every subscriber, from the moment it subscribed).
 */
export function describeEventBusContract(name: string, target: () => Promise<ContractTarget>) {
  describe(`${name}: the EventBus contract`, () => {
    let bus: EventBus;
    let cleanup: ContractTarget["cleanup"];
    const streams: string[] = [];
    const open: Subscription[] = [];
    const newStream = () => {
      const stream = `test.${randomBytes(6).toString("hex")}`;
      streams.push(stream);
      return stream;
    };
    const publishAll = async (stream: string, texts: string[]) => {
      const ids: string[] = [];
      for (const t of texts) ids.push(await bus.publish(stream, bytes(t)));
      return ids;
    };
    const track = (subscription: Subscription) => {
      open.push(subscription);
      return subscription;
    };
    const range = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`);

    beforeAll(async () => {
      ({ bus, cleanup } = await target());
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await bus.close();
      await cleanup(streams);
    });

    it("publishAll appends a batch across streams in order, each with its id", async () => {
      const [one, two] = [newStream(), newStream()];
      const ids = await bus.publishAll(
        ["a", "b", "c", "d"].map((t, i) => ({ stream: i % 2 ? two : one, envelope: bytes(t) })),
      );
      expect(ids).toHaveLength(4);
      expect(await bus.publishAll([])).toEqual([]);
      for (const [stream, texts, at] of [
        [one, ["a", "c"], [0, 2]],
        [two, ["b", "d"], [1, 3]],
      ] as const) {
        const seen: StreamEntry[] = [];
        const sub = track(
          bus.consume({
            stream,
            group: "g",
            consumer: "c",
            handler: async (entry) => {
              seen.push(entry);
            },
          }),
        );
        await eventually(`the batch on ${stream}`, () => seen.length === 2);
        await sub.close();
        expect(seen.map(text)).toEqual(texts);
        expect(seen.map((e) => e.id)).toEqual(at.map((i) => ids[i]));
      }
    });

    it("delivers entries published before and after the group existed, in order, then acks them", async () => {
      const stream = newStream();
      const before = await publishAll(stream, ["a", "b", "c"]);
      const seen: StreamEntry[] = [];
      const sub = track(
        bus.consume({
          stream,
          group: "g",
          consumer: "c1",
          blockMs: 50,
          handler: async (e) => void seen.push(e),
        }),
      );
      await sub.ready;
      const after = await publishAll(stream, ["d", "e"]);
      await eventually("all five entries", () => seen.length === 5);
      expect(seen.map((e) => e.id)).toEqual([...before, ...after]);
      expect(seen.map(text)).toEqual(["a", "b", "c", "d", "e"]);
      expect(seen.every((e) => e.stream === stream)).toBe(true);
      await eventually("no pending entries", async () => (await bus.pending(stream, "g")) === 0);
    });

    it("gives each entry to one member of a group, and every entry to every group", async () => {
      const stream = newStream();
      const byMember: Record<string, string[]> = { c1: [], c2: [], other: [] };
      const member = (group: string, consumer: string, into: string[]) =>
        track(
          bus.consume({
            stream,
            group,
            consumer,
            batchSize: 3,
            blockMs: 50,
            handler: async (e) => void into.push(text(e)),
          }),
        );
      const subs = [
        member("g", "c1", byMember.c1!),
        member("g", "c2", byMember.c2!),
        member("h", "c1", byMember.other!),
      ];
      await Promise.all(subs.map((s) => s.ready));
      const texts = range("m", 30);
      await publishAll(stream, texts);
      await eventually(
        "the group g to see all",
        () => byMember.c1!.length + byMember.c2!.length >= 30,
      );
      await eventually("the group h to see all", () => byMember.other!.length >= 30);
      expect([...byMember.c1!, ...byMember.c2!].sort()).toEqual([...texts].sort());
      expect(byMember.c1!.filter((t) => byMember.c2!.includes(t))).toEqual([]);
      expect(byMember.other).toEqual(texts);
    });

    it("delivers an entry again after its handler failed, and never an acknowledged one", async () => {
      const stream = newStream();
      const attempts = new Map<string, number>();
      const sub = track(
        bus.consume({
          stream,
          group: "g",
          consumer: "c1",
          blockMs: 20,
          claimIdleMs: 100,
          handler: async (e) => {
            const n = (attempts.get(text(e)) ?? 0) + 1;
            attempts.set(text(e), n);
            if (text(e) === "x2" && n === 1) throw new Error("transient failure");
          },
        }),
      );
      await sub.ready;
      await publishAll(stream, range("x", 5));
      await eventually("the failed entry to be retried", () => attempts.get("x2") === 2);
      await eventually("no pending entries", async () => (await bus.pending(stream, "g")) === 0);
      expect(Object.fromEntries(attempts)).toEqual({ x0: 1, x1: 1, x2: 2, x3: 1, x4: 1 });
    });

    it("hands the entries a stopped member left pending to another member after claimIdleMs", async () => {
      const stream = newStream();
      const texts = range("k", 8);
      await publishAll(stream, texts);
      const ackedByA: string[] = [];
      let stuck!: () => void;
      const isStuck = new Promise<void>((resolve) => {
        stuck = resolve;
      });
      let release!: (error: Error) => void;
      const hang = new Promise<void>((_, reject) => {
        release = reject;
      });
      // Member A takes the whole batch and stops responding on its third entry, as a
      // process that hangs or dies mid-batch: nothing after it is acknowledged.
      const a = bus.consume({
        stream,
        group: "g",
        consumer: "a",
        batchSize: 8,
        blockMs: 20,
        handler: async (e) => {
          if (text(e) === "k2") {
            stuck();
            await hang;
          }
          ackedByA.push(text(e));
        },
      });
      // Should the test fail first, A is released so that closing it cannot hang.
      track({
        ready: a.ready,
        close: () => {
          release(new Error("test over"));
          return a.close();
        },
      });
      await isStuck;
      expect(await bus.pending(stream, "g")).toBe(6);
      const byB: string[] = [];
      const b = track(
        bus.consume({
          stream,
          group: "g",
          consumer: "b",
          blockMs: 20,
          claimIdleMs: 150,
          handler: async (e) => void byB.push(text(e)),
        }),
      );
      await b.ready;
      await eventually("B to reclaim the six entries A left", () => byB.length >= 6);
      release(new Error("member A died"));
      await a.close();
      await eventually("no pending entries", async () => (await bus.pending(stream, "g")) === 0);
      expect(ackedByA).toEqual(["k0", "k1"]);
      expect(byB.sort()).toEqual(texts.slice(2));
    });

    it("stops delivering to a closed member; the group keeps the rest for others", async () => {
      const stream = newStream();
      const first: string[] = [];
      const sub = bus.consume({
        stream,
        group: "g",
        consumer: "c1",
        blockMs: 20,
        handler: async (e) => void first.push(text(e)),
      });
      await sub.ready;
      await publishAll(stream, ["p0"]);
      await eventually("the first entry", () => first.length === 1);
      await sub.close();
      await publishAll(stream, ["p1", "p2"]);
      const second: string[] = [];
      const next = track(
        bus.consume({
          stream,
          group: "g",
          consumer: "c2",
          blockMs: 20,
          handler: async (e) => void second.push(text(e)),
        }),
      );
      await next.ready;
      await eventually("the later entries", () => second.length === 2);
      expect(first).toEqual(["p0"]);
      expect(second).toEqual(["p1", "p2"]);
    });

    it("tails: every subscriber sees every entry added after it subscribed, in order", async () => {
      const stream = newStream();
      await publishAll(stream, ["old0", "old1"]);
      const seen: string[][] = [[], [], []];
      const tails = seen.map((into) =>
        track(bus.tail({ stream, blockMs: 50, handler: async (e) => void into.push(text(e)) })),
      );
      await Promise.all(tails.map((t) => t.ready));
      const firstHalf = range("t", 5);
      await publishAll(stream, firstHalf);
      const late: string[] = [];
      const lateTail = track(
        bus.tail({ stream, blockMs: 50, handler: async (e) => void late.push(text(e)) }),
      );
      await lateTail.ready;
      const secondHalf = range("u", 5);
      await publishAll(stream, secondHalf);
      await eventually("every tail to see ten entries", () => seen.every((s) => s.length === 10));
      await eventually("the late tail to see five", () => late.length === 5);
      for (const s of seen) expect(s).toEqual([...firstHalf, ...secondHalf]);
      expect(late).toEqual(secondHalf);
    });

    it("tails past a failing handler, and a closed tail sees nothing more", async () => {
      const stream = newStream();
      const seen: string[] = [];
      const tail = bus.tail({
        stream,
        blockMs: 20,
        handler: async (e) => {
          if (text(e) === "f1") throw new Error("handler failed");
          seen.push(text(e));
        },
      });
      await tail.ready;
      await publishAll(stream, ["f0", "f1", "f2"]);
      await eventually("the entries around the failure", () => seen.length === 2);
      await tail.close();
      const witness: string[] = [];
      const other = track(
        bus.tail({ stream, blockMs: 20, handler: async (e) => void witness.push(text(e)) }),
      );
      await other.ready;
      await publishAll(stream, ["f3"]);
      await eventually("a live tail to see the last entry", () => witness.length === 1);
      expect(seen).toEqual(["f0", "f2"]);
    });
  });
}
