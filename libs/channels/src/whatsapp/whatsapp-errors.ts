/**
 * What a Cloud API error code means for a message we send, from Meta's error-code reference
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/). The same codes come
 * back synchronously (HTTP error of POST /{phone-number-id}/messages) and asynchronously (a `failed`
 * status webhook), so both paths read them here.
 *
 * - `retry`: a rate limit or a passing outage; the outbox tries again later (`afterMs` when Meta's
 *   limit has a known length), without giving up the message.
 * - `token`: the access token is expired or lacks permission: the channel status shows it, and the
 *   outbox keeps retrying with backoff so the message goes once an admin renews the token.
 * - `permanent`: this message will never go through as it is; the timeline says why.
 */
export interface WhatsAppErrorMeaning {
  kind: 'retry' | 'token' | 'permanent';
  /** The timeline state a failed message shows (the admin UI and the bot put it in words). */
  state: string;
  /** A reason in plain words for the timeline and the manager's notice. */
  reason: string;
  afterMs?: number;
}

const MINUTE = 60_000;

const MEANINGS: Record<number, Omit<WhatsAppErrorMeaning, 'reason'> & { reason: string }> = {
  // Throughput and pair limits: the message is fine, try again later.
  4: { kind: 'retry', state: 'rate_limited', reason: 'too many API calls for the app', afterMs: 5 * MINUTE },
  80007: { kind: 'retry', state: 'rate_limited', reason: 'the WhatsApp Business Account hit its rate limit', afterMs: 5 * MINUTE },
  130429: { kind: 'retry', state: 'rate_limited', reason: 'the number hit its message throughput limit', afterMs: MINUTE },
  131056: { kind: 'retry', state: 'rate_limited', reason: 'too many messages to this client in a short time (pair rate limit)', afterMs: MINUTE },
  131048: { kind: 'retry', state: 'rate_limited', reason: 'spam rate limit: too many recent messages were blocked or reported', afterMs: 60 * MINUTE },
  // Meta's side is briefly unwell.
  1: { kind: 'retry', state: 'provider_error', reason: 'unknown Graph API error' },
  2: { kind: 'retry', state: 'provider_error', reason: 'Graph API service temporarily unavailable' },
  131000: { kind: 'retry', state: 'provider_error', reason: 'WhatsApp reported an unknown error' },
  131016: { kind: 'retry', state: 'provider_error', reason: 'WhatsApp service overloaded' },
  133004: { kind: 'retry', state: 'provider_error', reason: 'WhatsApp server temporarily unavailable' },
  // The hub's credentials.
  0: { kind: 'token', state: 'token_invalid', reason: 'WhatsApp could not authenticate the hub (renew WHATSAPP_ACCESS_TOKEN)' },
  10: { kind: 'token', state: 'token_invalid', reason: 'the access token lacks the whatsapp_business_messaging permission' },
  190: { kind: 'token', state: 'token_invalid', reason: 'the access token expired or was revoked (renew WHATSAPP_ACCESS_TOKEN)' },
  200: { kind: 'token', state: 'token_invalid', reason: 'the app lacks permission for this number' },
  // This message, to this client, will not go.
  131047: { kind: 'permanent', state: 'window_closed', reason: 'more than 24 hours since the client last wrote: only an approved template can reopen the chat' },
  131026: { kind: 'permanent', state: 'undeliverable', reason: 'the message could not be delivered (the number is not on WhatsApp, or the client has an old app or has not accepted the terms)' },
  131049: { kind: 'permanent', state: 'undeliverable', reason: 'WhatsApp chose not to deliver it to keep the client\'s engagement healthy' },
  131050: { kind: 'permanent', state: 'opted_out', reason: 'the client stopped marketing messages from this business' },
  131021: { kind: 'permanent', state: 'rejected', reason: 'the recipient is the sending number itself' },
  131051: { kind: 'permanent', state: 'rejected', reason: 'message type not supported' },
  131052: { kind: 'permanent', state: 'media_failed', reason: 'WhatsApp could not download the media' },
  131053: { kind: 'permanent', state: 'media_failed', reason: 'WhatsApp could not upload the media (type or size not accepted)' },
  131008: { kind: 'permanent', state: 'rejected', reason: 'a required parameter is missing' },
  131009: { kind: 'permanent', state: 'rejected', reason: 'a parameter value is not valid' },
  100: { kind: 'permanent', state: 'rejected', reason: 'WhatsApp refused a parameter of the message' },
  131031: { kind: 'permanent', state: 'account_problem', reason: 'the business account is locked' },
  131042: { kind: 'permanent', state: 'account_problem', reason: 'the business account has a payment problem' },
  133010: { kind: 'permanent', state: 'account_problem', reason: 'the sending number is not registered with the Cloud API' },
  132000: { kind: 'permanent', state: 'template_rejected', reason: 'the template parameters do not match the template' },
  132001: { kind: 'permanent', state: 'template_rejected', reason: 'the template does not exist in this language, or is not approved' },
  132005: { kind: 'permanent', state: 'template_rejected', reason: 'the filled-in template text is too long' },
  132007: { kind: 'permanent', state: 'template_rejected', reason: 'the template text breaks WhatsApp\'s formatting policy' },
  132012: { kind: 'permanent', state: 'template_rejected', reason: 'a template parameter has the wrong format' },
  132015: { kind: 'permanent', state: 'template_rejected', reason: 'the template is paused for low quality' },
  132016: { kind: 'permanent', state: 'template_rejected', reason: 'the template is disabled for low quality' },
};

/** Meta's code → what to do and what the timeline says; unknown codes: permanent for 4xx answers, retried otherwise. */
export function whatsappErrorMeaning(code: number | null | undefined, detail: string | null | undefined, httpStatus?: number): WhatsAppErrorMeaning {
  const known = typeof code === 'number' ? MEANINGS[code] : undefined;
  const said = detail?.trim() ? ` (${detail.trim().slice(0, 300)})` : '';
  const tag = typeof code === 'number' ? ` [${code}]` : '';
  if (known) return { ...known, reason: `${known.reason}${said}${tag}` };
  if (httpStatus === 401) return { kind: 'token', state: 'token_invalid', reason: `WhatsApp refused the access token${said}${tag}` };
  if (httpStatus === 429) return { kind: 'retry', state: 'rate_limited', reason: `rate limited${said}${tag}`, afterMs: MINUTE };
  if (httpStatus !== undefined && (httpStatus === 0 || httpStatus >= 500)) return { kind: 'retry', state: 'provider_error', reason: `Graph API unavailable${said}${tag}` };
  return { kind: 'permanent', state: 'rejected', reason: `WhatsApp refused the message${said}${tag}` };
}
