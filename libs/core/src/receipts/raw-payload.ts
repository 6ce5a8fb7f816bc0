/**
 * Raw inbound payloads are stored as JSON text (inbound_receipt.raw is `text`, not jsonb): JSON text
 * escapes NUL and lone surrogates, so anything a sender can put in a JSON value is stored as given
 * and a failed receipt can always be kept and replayed exactly.
 */
export function rawPayloadText(raw: unknown): string {
  try {
    return JSON.stringify(raw ?? null) ?? 'null';
  } catch (err) {
    // Cycles or extreme nesting (refused at the HTTP layer, so only a bug in a channel gets here).
    return JSON.stringify({ unserialisable: String((err as Error).message) });
  }
}

/** Back to the value the channel handed over (rows written before the column became text are JSON too). */
export function parseRawPayload(text: unknown): unknown {
  if (typeof text !== 'string') return text ?? null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
