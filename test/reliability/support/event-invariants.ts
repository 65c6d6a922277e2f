/**
 * Events: every row each service wrote to its outbox was published, is in its stream
 * (at least once: the relay is at-least-once), every consumer group on every stream
 * has read and acknowledged everything, and order-service applied each UserDeleted
 * exactly once (inbox) with its effect visible: no order names an erased user.
 */
import { EventEnvelope } from "@shop/gen/ts/shop/events/v1/events";
import { Redis } from "ioredis";
import type { TestMesh } from "../../support/test-mesh";
import { sql } from "./sql";

const PRODUCERS = ["user-service", "product-service", "order-service"] as const;
const USER_DELETED = "shop.events.v1.UserDeleted";

export interface EventFigures {
  /** Outbox rows, all producers. */
  written: number;
  published: number;
  /** Distinct outbox events found in their stream. */
  inStream: number;
  /** Stream entries beyond the first for the same event (at-least-once publishing). */
  duplicateEntries: number;
  /** Consumer groups checked, and their entries not yet acknowledged or not yet read. */
  groups: number;
  groupBacklog: number;
  /** UserDeleted events, and how many order-service applied (inbox). */
  userDeleted: number;
  userDeletedApplied: number;
}

export interface EventCheck {
  figures: EventFigures;
  violations: string[];
}

export interface EventBacklog {
  unpublished: number;
  groupBacklog: number;
}

function redisOf(mesh: TestMesh): { redis: Redis; prefix: string } {
  const env = mesh.envs["order-service"];
  const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", {
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  redis.on("error", () => undefined);
  return { redis, prefix: env.REDIS_KEY_PREFIX ?? "" };
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

/** Per group: entries delivered but not acknowledged plus entries not yet delivered. */
async function groupBacklogs(redis: Redis, key: string) {
  const info = (await redis.call("XINFO", "GROUPS", key).catch(() => [])) as unknown[][];
  const last = (await redis.call("XREVRANGE", key, "+", "-", "COUNT", "1")) as [string][];
  const lastId = last[0]?.[0] ?? "0-0";
  return info.map((flat) => {
    const field = (name: string) => flat[flat.indexOf(name) + 1];
    const delivered = String(field("last-delivered-id"));
    return {
      name: String(field("name")),
      pending: Number(field("pending")),
      behind: compareIds(delivered, lastId) < 0,
    };
  });
}

/** What is still in flight: unpublished outbox rows and unread or unacknowledged entries. */
export async function eventBacklog(mesh: TestMesh): Promise<EventBacklog> {
  let unpublished = 0;
  for (const producer of PRODUCERS) {
    const [row] = await sql<{ n: string }>(
      mesh.databases[producer]!.url,
      "SELECT count(*)::text AS n FROM outbox WHERE published_at IS NULL",
    );
    unpublished += Number(row?.n ?? 0);
  }
  const { redis, prefix } = redisOf(mesh);
  try {
    let groupBacklog = 0;
    for (const producer of PRODUCERS) {
      for (const g of await groupBacklogs(redis, `${prefix}events.${producer}`)) {
        groupBacklog += g.pending + (g.behind ? 1 : 0);
      }
    }
    return { unpublished, groupBacklog };
  } finally {
    redis.disconnect();
  }
}

export async function checkEvents(
  mesh: TestMesh,
  erasedUserIds: readonly string[],
): Promise<EventCheck> {
  const violations: string[] = [];
  const figures: EventFigures = {
    written: 0,
    published: 0,
    inStream: 0,
    duplicateEntries: 0,
    groups: 0,
    groupBacklog: 0,
    userDeleted: 0,
    userDeletedApplied: 0,
  };
  const { redis, prefix } = redisOf(mesh);
  try {
    const userDeletedIds: string[] = [];
    for (const producer of PRODUCERS) {
      const outbox = await sql<{ event_id: string; type: string; published: boolean }>(
        mesh.databases[producer]!.url,
        "SELECT event_id::text, type, published_at IS NOT NULL AS published FROM outbox",
      );
      figures.written += outbox.length;
      const key = `${prefix}events.${producer}`;
      const entries = (await redis.callBuffer("XRANGE", key, "-", "+")) as [Buffer, Buffer[]][];
      const seen = new Map<string, number>();
      for (const [, fields] of entries) {
        const at = fields.findIndex((f, i) => i % 2 === 0 && f.toString() === "envelope");
        if (at < 0) continue;
        const { id } = EventEnvelope.decode(new Uint8Array(fields[at + 1]!));
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      for (const row of outbox) {
        if (row.type === USER_DELETED) userDeletedIds.push(row.event_id);
        if (!row.published) violations.push(`${producer} event ${row.event_id} never published`);
        else figures.published++;
        const copies = seen.get(row.event_id) ?? 0;
        if (copies === 0 && row.published) {
          violations.push(`${producer} event ${row.event_id} (${row.type}) is not in ${key}`);
        }
        if (copies > 0) figures.inStream++;
        if (copies > 1) figures.duplicateEntries += copies - 1;
      }
      for (const group of await groupBacklogs(redis, key)) {
        figures.groups++;
        figures.groupBacklog += group.pending + (group.behind ? 1 : 0);
        if (group.pending > 0) {
          violations.push(`group ${group.name} on ${key}: ${group.pending} entries unacknowledged`);
        }
        if (group.behind) violations.push(`group ${group.name} on ${key} has not read every entry`);
      }
    }
    figures.userDeleted = userDeletedIds.length;
    const inbox = await sql<{ event_id: string }>(
      mesh.databases["order-service"]!.url,
      "SELECT event_id::text FROM inbox WHERE consumer = 'order-service' AND event_id = ANY($1::uuid[])",
      [userDeletedIds],
    );
    figures.userDeletedApplied = inbox.length;
    const applied = new Set(inbox.map((r) => r.event_id));
    for (const id of userDeletedIds) {
      if (!applied.has(id)) violations.push(`UserDeleted ${id} was not applied by order-service`);
    }
    const named = await sql<{ id: string }>(
      mesh.databases["order-service"]!.url,
      "SELECT id::text FROM orders WHERE user_id = ANY($1::text[])",
      [erasedUserIds],
    );
    for (const row of named) violations.push(`order ${row.id} still names an erased user`);
  } finally {
    redis.disconnect();
  }
  return { figures, violations };
}
