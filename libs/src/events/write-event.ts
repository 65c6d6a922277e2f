import type { PoolClient } from "pg";
import { buildEnvelope, type EnvelopeInput, encodeEnvelope, eventStream } from "./event-envelope";

/** An outbox INSERT for a caller's statement, with the values its parameters stand for. */
export interface OutboxInsert {
  /** `INSERT INTO outbox ...` numbering its parameters from the `firstParam` given. */
  sql: string;
  values: unknown[];
  /** The event ids, in the order of the inputs. */
  eventIds: string[];
}

/**
 * Builds the envelopes of `inputs` and one INSERT of them all, to run on its own
 * (writeEvents) or as a data-modifying CTE of a larger statement, so a write and its
 * events take one round trip: `WITH changed AS (UPDATE ...), events AS (${sql}) ...`.
 * Rows are inserted in the order of `inputs`, which is the order the relay publishes.
 * `onlyIf` is an SQL condition over the statement's other CTEs (`EXISTS (SELECT 1 FROM
 * changed)`): the events are written only when it holds, e.g. when a guarded UPDATE
 * matched its row.
 */
export function outboxInsert(
  inputs: readonly EnvelopeInput[],
  firstParam = 1,
  options: { onlyIf?: string } = {},
): OutboxInsert {
  const envelopes = inputs.map((input) => {
    const envelope = buildEnvelope(input);
    const bytes = encodeEnvelope(envelope);
    return {
      id: envelope.id,
      stream: eventStream(input.producer),
      type: envelope.type,
      bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    };
  });
  const [ids, streams, types, bytes] = [0, 1, 2, 3].map((i) => `$${firstParam + i}`);
  return {
    sql: `INSERT INTO outbox (event_id, stream, type, envelope)
          SELECT event_id, stream, type, envelope
            FROM unnest(${ids}::uuid[], ${streams}::text[], ${types}::text[], ${bytes}::bytea[])
                 WITH ORDINALITY AS e(event_id, stream, type, envelope, position)
          ${options.onlyIf ? `WHERE ${options.onlyIf}` : ""}
           ORDER BY position`,
    values: [
      envelopes.map((e) => e.id),
      envelopes.map((e) => e.stream),
      envelopes.map((e) => e.type),
      envelopes.map((e) => e.bytes),
    ],
    eventIds: envelopes.map((e) => e.id),
  };
}

/**
 * Adds events to the outbox in the caller's transaction: they are published if and only
 * if that transaction commits. `client` must be inside BEGIN (e.g. the client given by
 * withTransaction); on a client in autocommit the events would be committed on their own.
 *
 * @returns the event ids (UUIDs), which consumers dedupe by, in the order of `inputs`.
 */
export async function writeEvents(
  client: PoolClient,
  inputs: readonly EnvelopeInput[],
): Promise<string[]> {
  if (inputs.length === 0) return [];
  const insert = outboxInsert(inputs);
  await client.query(insert.sql, insert.values);
  return insert.eventIds;
}

/** writeEvents of one event; resolves its id. */
export async function writeEvent(client: PoolClient, input: EnvelopeInput): Promise<string> {
  const [id] = await writeEvents(client, [input]);
  return id!;
}
