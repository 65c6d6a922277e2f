import { Redis } from "ioredis";
import { entriesOf, envelopeOf } from "./redis-stream-replies";

const b = (s: string) => Buffer.from(s);
const entry = [b("1-0"), [b("envelope"), b("x")]];

describe("entriesOf", () => {
  it("reads the reply shapes of RESP2, RESP3 in ioredis' legacy mapping, and RESP3 maps", () => {
    expect(entriesOf([[b("key"), [entry]]])).toEqual([entry]);
    expect(entriesOf([b("key"), [entry]])).toEqual([entry]);
    expect(entriesOf({ key: [entry] })).toEqual([entry]);
    expect(entriesOf(null)).toEqual([]);
    expect(entriesOf([])).toEqual([]);
  });

  it("reads what a RESP2 connection to the real Redis returns", async () => {
    const redis = new Redis({ host: "127.0.0.1", port: 6379, protocol: 2 });
    const key = `test:replies:${process.pid}:${Date.now()}`;
    try {
      await redis.xadd(key, "*", "envelope", "payload");
      const reply = await redis.callBuffer("XREAD", "COUNT", "1", "STREAMS", key, "0-0");
      const [[, fields]] = entriesOf(reply) as [[Buffer, Buffer[]]];
      expect(Buffer.from(envelopeOf(fields)!).toString()).toBe("payload");
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});

describe("envelopeOf", () => {
  it("finds the envelope field among others, and nothing in a deleted entry", () => {
    expect(envelopeOf([b("other"), b("1"), b("envelope"), b("\u0001")])).toEqual(
      new Uint8Array([1]),
    );
    expect(envelopeOf([b("other"), b("1")])).toBeUndefined();
    expect(envelopeOf(null)).toBeUndefined();
  });
});
