/** WhatsApp's customer-service window: free-form messages only within 24 hours of the client's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface ServiceWindow {
  open: boolean;
  /** When the window closes (or closed); null when the client never wrote on this channel. */
  closesAt: Date | null;
  /** Why only templates are allowed, in plain words (the admin UI and the bot show it); null when open. */
  reason: string | null;
}

/**
 * The WhatsApp rule (Cloud API and Twilio alike): inside 24 hours of the client's last message the
 * business may send anything; after that only an approved template, until the client writes again.
 * `lastInboundAt` is when the hub received the client's latest message on WhatsApp. Pure.
 */
export function serviceWindow(lastInboundAt: Date | null, now: Date): ServiceWindow {
  if (!lastInboundAt) return { open: false, closesAt: null, reason: 'the client has not written on WhatsApp yet: only an approved template can start the chat' };
  const closesAt = new Date(lastInboundAt.getTime() + SERVICE_WINDOW_MS);
  if (now.getTime() < closesAt.getTime()) return { open: true, closesAt, reason: null };
  return { open: false, closesAt, reason: `more than 24 hours since the client last wrote on WhatsApp (the window closed ${closesAt.toISOString()}): only an approved template can reopen the chat` };
}
