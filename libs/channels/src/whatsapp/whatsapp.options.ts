/** WhatsApp Business Cloud API settings from the hub's configuration. Absent (null) = WhatsApp is off. */
export interface WhatsAppOptions {
  /** System-user access token: bearer for the Graph API (media downloads). */
  accessToken: string;
  /** The Meta app's secret: key of the X-Hub-Signature-256 HMAC on every delivery. */
  appSecret: string;
  /** Our own string, typed into the app's webhook settings; Meta echoes it in the verification GET. */
  verifyToken: string;
  /** Graph API origin (a local fake in tests), without a trailing slash. */
  graphBaseUrl: string;
  /** Graph API version path segment, e.g. v21.0. */
  graphVersion: string;
  /**
   * Phone number ids this hub answers for. Empty = every number of the app's WhatsApp Business
   * accounts. A delivery for another number is acknowledged and not stored.
   */
  phoneNumberIds: readonly string[];
  /** WhatsApp Business Account ids whose templates are offered; empty = those clients have written to. */
  businessAccountIds: readonly string[];
  /** Per phone number id, the name of the pipeline its new leads enter (others: the default pipeline). */
  numberPipelines: Readonly<Record<string, string>>;
}

export const WHATSAPP_OPTIONS = Symbol('WHATSAPP_OPTIONS');

/** The channel key on receipts, deals and the timeline. */
export const WHATSAPP_CHANNEL = 'whatsapp';

/** The channel status row of this hub's WhatsApp numbers. */
export const whatsappStatusName = (o: Pick<WhatsAppOptions, 'phoneNumberIds'>): string =>
  o.phoneNumberIds.length ? `Cloud API ${o.phoneNumberIds.join(', ')}` : 'Cloud API (all numbers of the app)';
