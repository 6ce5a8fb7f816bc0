/** The core's part of a manager's message to a client as a channel delivers it. */
export interface OutboundMessagePayload {
  activityId: string;
  contactId: string;
  dealId: string | null;
  /** The address: E.164 phone for WhatsApp and SMS. */
  to: string;
  text: string;
  /** How many files are stored with the message; absent = none. */
  attachments?: number;
}

/** How a delivery ended: sent (with the provider's id), failed for good (with a state and the provider's words), or "not now". */
export type MessageDeliveryOutcome =
  | { status: 'sent'; providerMessageId: string | null; details?: Record<string, unknown> }
  | { status: 'failed'; reason: string; error: string }
  | { status: 'retry-later'; afterMs: number; reason: string };
