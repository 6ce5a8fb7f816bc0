import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>`. */
export const GENERIC_SIGNATURE_HEADER = 'x-leadline-signature';
/** Header carrying the Unix time (seconds) the PBX signed the request at; part of what is signed. */
export const GENERIC_TIMESTAMP_HEADER = 'x-leadline-timestamp';

export function genericSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export type GenericSignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * A signed timestamp makes a captured request worthless after `toleranceSeconds` (its call event
 * dedupe covers replays inside the window). Constant-time comparison of the signature.
 */
export function checkGenericSignature(
  secret: string,
  rawBody: Buffer,
  headers: { signature: string | undefined; timestamp: string | undefined },
  nowMs: number,
  toleranceSeconds: number,
): GenericSignatureCheck {
  if (!headers.signature) return { ok: false, reason: 'missing signature' };
  if (!headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp.trim())) return { ok: false, reason: 'missing or malformed timestamp' };
  const timestamp = headers.timestamp.trim();
  const expected = Buffer.from(genericSignature(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) return { ok: false, reason: `timestamp ${Math.round(skew)} s away from the hub's clock (tolerance ${toleranceSeconds} s)` };
  return { ok: true };
}
