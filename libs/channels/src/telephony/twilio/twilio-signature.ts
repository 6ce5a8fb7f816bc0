import { twilioSdk } from './twilio-sdk';

export interface TwilioSignatureCheck {
  ok: boolean;
  /** The URL the signature was checked against: PUBLIC_URL + the exact path and query Twilio called. */
  expectedUrl: string;
  accountSid: string | null;
  reason?: 'missing signature' | 'unknown AccountSid' | 'signature mismatch';
}

/**
 * Checks X-Twilio-Signature the way Twilio computes it. The URL is rebuilt from the configured public
 * URL, never from Host/protocol (wrong behind a proxy or TLS terminator), plus the request's path and
 * query as received. The auth token is the one of the AccountSid in the request, so several accounts
 * (or subaccounts) can point at one hub. Every received parameter is signed over, never a whitelist.
 */
export function checkTwilioSignature(
  publicUrl: string,
  requestUrl: string,
  params: Record<string, unknown>,
  signature: string | undefined,
  accounts: Array<{ sid: string; token: string }>,
): TwilioSignatureCheck {
  const expectedUrl = `${publicUrl.replace(/\/$/, '')}${requestUrl}`;
  const accountSid = typeof params.AccountSid === 'string' ? params.AccountSid : null;
  if (!signature) return { ok: false, expectedUrl, accountSid, reason: 'missing signature' };
  const account = accounts.find((a) => a.sid === accountSid);
  if (!account) return { ok: false, expectedUrl, accountSid, reason: 'unknown AccountSid' };
  const ok = twilioSdk().validateRequest(account.token, signature, expectedUrl, params);
  return ok ? { ok, expectedUrl, accountSid } : { ok, expectedUrl, accountSid, reason: 'signature mismatch' };
}
