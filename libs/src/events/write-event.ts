import type { PoolClient } from "pg";
import { buildEnvelope, type EnvelopeInput, encodeEnvelope, eventStream } from "./event-envelope";

/**
 * Adds an event to the outbox in the caller's transaction: it is published if and only
 * if that transaction commits. `client` must be inside BEGIN (e.g. the client given by
 * withTransaction); on a client in autocommit the event would be committed on its own.
 *
 * @returns the event id (a UUID), which consumers dedupe by.
 */
export async function writeEvent(client: PoolClient, input: EnvelopeInput): Promise<string> {
  const envelope = buildEnvelope(input);
  const bytes = encodeEnvelope(envelope);
  await client.query(
    "INSERT INTO outbox (event_id, stream, type, envelope) VALUES ($1, $2, $3, $4)",
    [
      envelope.id,
      eventStream(input.producer),
      envelope.type,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ],
  );
  return envelope.id;
}
