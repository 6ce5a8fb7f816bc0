/** What the UI gets when a telephony provider refuses or cannot be reached: a status and a JSON body, never a stack. */
export interface ProviderErrorBody {
  error: 'provider_rejected' | 'provider_unavailable' | 'not_found';
  message: string;
  /** The provider's own error code (Twilio 21211 …), when it gave one. */
  providerCode: number | null;
}

/**
 * A provider failure already logged (one line, with its code) and to be answered as is: 4xx when the
 * provider refused what we asked (a bad number), 404 when it no longer has the resource, 502 when it
 * is unreachable or failing. Controllers send `body` with `httpStatus`.
 */
export class ProviderError extends Error {
  constructor(
    readonly httpStatus: 404 | 422 | 502,
    readonly body: ProviderErrorBody,
  ) {
    super(body.message);
  }
}

/** The parts of a failed provider request worth a log line: HTTP status, provider code, message, network cause. */
export interface ProviderFailure {
  status: number | null;
  code: number | null;
  message: string;
  /** ECONNREFUSED, ETIMEDOUT, … when the provider was not reached at all. */
  network: string | null;
}

/** Reads a twilio-node RestException, a fetch/undici failure or anything else into one shape. */
export function describeProviderFailure(err: unknown): ProviderFailure {
  const e = (err ?? {}) as { status?: unknown; code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown }; name?: unknown };
  const status = typeof e.status === 'number' ? e.status : null;
  const code = typeof e.code === 'number' ? e.code : null;
  const causeCode = typeof e.cause?.code === 'string' ? e.cause.code : typeof e.code === 'string' ? e.code : null;
  const network = status === null ? (causeCode ?? (e.name === 'TimeoutError' || e.name === 'AbortError' ? 'ETIMEDOUT' : 'unreachable')) : null;
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const cause = typeof e.cause?.message === 'string' && e.cause.message !== message ? `: ${e.cause.message}` : '';
  return { status, code, message: `${message}${cause}`.slice(0, 500), network };
}

/** "HTTP 400, code 21211, Invalid 'To' Phone Number" / "unreachable (ECONNREFUSED): fetch failed". */
export function failureText(f: ProviderFailure): string {
  if (f.status === null) return `unreachable (${f.network}): ${f.message}`;
  return [`HTTP ${f.status}`, f.code ? `code ${f.code}` : null, f.message].filter(Boolean).join(', ');
}
