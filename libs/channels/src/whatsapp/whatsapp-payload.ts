/**
 * The parts of a Cloud API webhook delivery (field `messages`) we read, as Meta documents them.
 * Everything else stays in the raw payload kept on the receipt.
 */
export interface WaWebhook {
  object?: string;
  entry?: WaEntry[];
}
export interface WaEntry {
  /** The WhatsApp Business Account id. */
  id?: string;
  changes?: WaChange[];
}
export interface WaChange {
  field?: string;
  value?: WaChangeValue;
}
export interface WaChangeValue {
  messaging_product?: string;
  metadata?: { display_phone_number?: string; phone_number_id?: string };
  contacts?: WaContact[];
  messages?: WaMessage[];
  statuses?: WaStatus[];
  errors?: WaError[];
}
export interface WaContact {
  wa_id?: string;
  profile?: { name?: string };
}
export interface WaError {
  code?: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
}
export interface WaMedia {
  id?: string;
  mime_type?: string;
  sha256?: string;
  caption?: string;
  filename?: string;
  /** Audio recorded in WhatsApp (a voice note) rather than an audio file. */
  voice?: boolean;
  animated?: boolean;
}
export interface WaSharedContact {
  name?: { formatted_name?: string; first_name?: string; last_name?: string };
  phones?: Array<{ phone?: string; wa_id?: string; type?: string }>;
  emails?: Array<{ email?: string; type?: string }>;
  org?: { company?: string; title?: string };
}
export interface WaMessage {
  from?: string;
  id?: string;
  timestamp?: string | number;
  type?: string;
  context?: { from?: string; id?: string; forwarded?: boolean; frequently_forwarded?: boolean };
  text?: { body?: string };
  image?: WaMedia;
  document?: WaMedia;
  audio?: WaMedia;
  video?: WaMedia;
  sticker?: WaMedia;
  location?: { latitude?: number; longitude?: number; name?: string; address?: string; url?: string };
  contacts?: WaSharedContact[];
  button?: { text?: string; payload?: string };
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string; description?: string };
    nfm_reply?: { name?: string; body?: string; response_json?: string };
  };
  reaction?: { message_id?: string; emoji?: string };
  referral?: { source_url?: string; source_id?: string; source_type?: string; headline?: string; body?: string; ctwa_clid?: string };
  errors?: WaError[];
  system?: { body?: string; type?: string };
}
export interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string | number;
  recipient_id?: string;
  errors?: WaError[];
}

/**
 * One client message cut out of a delivery with the context it needs (which number it reached, the
 * sender's profile). This is what a receipt keeps as its raw payload, so a failed one replays alone.
 */
export interface WaInboundMessage {
  wabaId: string | null;
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  contact: WaContact | null;
  message: WaMessage;
}
