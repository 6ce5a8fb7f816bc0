import type { InboundEvent } from '@leadline/core';

/** The parts of a Bot API Update we read. Everything else is kept in the raw payload. */
export interface TgUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}
export interface TgMessage {
  message_id: number;
  date: number;
  edit_date?: number;
  chat: { id: number; type: string; title?: string };
  from?: TgUser;
  sender_chat?: unknown;
  text?: string;
  caption?: string;
  entities?: Array<{ type: string; offset: number; length: number }>;
  photo?: Array<{ file_id: string; file_unique_id: string; width: number; height: number; file_size?: number }>;
  document?: { file_id: string; file_unique_id: string; file_name?: string; mime_type?: string; file_size?: number };
  voice?: { file_id: string; file_unique_id: string; duration: number; mime_type?: string; file_size?: number };
  audio?: { file_id: string; file_unique_id: string; duration: number; mime_type?: string; file_size?: number; file_name?: string };
  video?: { file_id: string; file_unique_id: string; duration: number; mime_type?: string; file_size?: number; file_name?: string };
  video_note?: { file_id: string; file_unique_id: string; duration: number; file_size?: number };
  sticker?: { file_id: string; file_unique_id: string; emoji?: string; set_name?: string; file_size?: number; is_animated?: boolean; is_video?: boolean };
  contact?: { phone_number: string; first_name?: string; last_name?: string; user_id?: number };
  location?: { latitude: number; longitude: number };
  reply_to_message?: TgMessage;
}
export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  data?: string;
}
export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
  [other: string]: unknown;
}

/** A file the client sent: what the timeline shows and what the hub needs to stream it later. */
export type TgMedia = {
  type: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note' | 'sticker';
  fileId: string;
  fileUniqueId: string;
  size: number | null;
  mimeType?: string | null;
  fileName?: string | null;
  durationSeconds?: number | null;
  emoji?: string | null;
};

/** The identity kind Telegram owns: value = the Telegram user id, details.username = the @username when set. */
export const TELEGRAM_IDENTITY = 'telegram';

/** The Telegram user id of the client who sent a mapped message. */
export function telegramUserIdOf(event: TelegramInboundEvent): string {
  const identity = event.contact.identities?.find((i) => i.kind === TELEGRAM_IDENTITY);
  if (!identity) throw new Error('a mapped Telegram message carries its sender as a telegram identity');
  return identity.value;
}

/** An intake event with the conversation fields of the core contract (kind, message.details). */
export type TelegramInboundEvent = Omit<InboundEvent, 'message'> & {
  kind: 'lead' | 'message';
  message: { text: string | null; details: TelegramMessageDetails };
};

export type TelegramMessageDetails = {
  botId: number;
  chatId: number;
  messageId: number;
  updateId: number;
  username: string | null;
  media?: TgMedia;
  contactShared?: { phone: string; own: boolean };
  location?: { latitude: number; longitude: number };
};

export type MappedUpdate =
  | { type: 'message'; event: TelegramInboundEvent; from: TgUser; chatId: number; command: { name: string; arg: string } | null }
  | { type: 'edit'; chatId: number; messageId: number; text: string | null; editedAt: Date; from: TgUser }
  | { type: 'callback'; query: TgCallbackQuery }
  | { type: 'ignored'; reason: string };

const NAME_LIMIT = 200;
const TEXT_LIMIT = 10_000;

/**
 * Turns one Bot API update received by the bot `botId` into what the hub does with it. Pure: the
 * caller has verified the sender (webhook secret or our own getUpdates). Group chats, channels and
 * messages from bots are ignored; only private chats with people are conversations.
 */
export function mapTelegramUpdate(botId: number, update: TgUpdate): MappedUpdate {
  if (!update || typeof update !== 'object' || !Number.isSafeInteger(update.update_id)) return { type: 'ignored', reason: 'not an update' };
  if (update.callback_query) {
    const q = update.callback_query;
    if (!q.from || q.from.is_bot) return { type: 'ignored', reason: 'callback from a bot' };
    return { type: 'callback', query: q };
  }
  if (update.edited_message) {
    const m = update.edited_message;
    const why = notAPrivateHuman(m);
    if (why) return { type: 'ignored', reason: why };
    return { type: 'edit', chatId: m.chat.id, messageId: m.message_id, text: clip(m.text ?? m.caption ?? null), editedAt: new Date((m.edit_date ?? m.date) * 1000), from: m.from! };
  }
  const m = update.message;
  if (!m) return { type: 'ignored', reason: `unsupported update (${Object.keys(update).filter((k) => k !== 'update_id').join(', ') || 'empty'})` };
  const why = notAPrivateHuman(m);
  if (why) return { type: 'ignored', reason: why };
  const from = m.from!;

  const command = commandOf(m);
  const media = mediaOf(m);
  const own = m.contact ? m.contact.user_id === from.id : false;
  const phones = m.contact && own ? [m.contact.phone_number] : [];
  let text = m.text ?? m.caption ?? null;
  if (m.contact && !text) text = `${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ')} ${m.contact.phone_number}`.trim();
  if (m.location && !text) text = `📍 ${m.location.latitude}, ${m.location.longitude}`;
  if (media?.type === 'sticker' && !text) text = media.emoji ?? null;
  // "/start" alone is the client opening the chat; a deep-link payload is a campaign tag, not a message.
  if (command?.name === 'start') text = null;

  const source: InboundEvent['source'] = {};
  if (command?.name === 'start' && command.arg) {
    const payload = command.arg.slice(0, 64);
    source.campaign = payload;
    source.utm = utmOf(payload);
  }

  const details: TelegramMessageDetails = {
    botId,
    chatId: m.chat.id,
    messageId: m.message_id,
    updateId: update.update_id,
    username: from.username ?? null,
    ...(media ? { media } : {}),
    ...(m.contact ? { contactShared: { phone: m.contact.phone_number, own } } : {}),
    ...(m.location ? { location: { latitude: m.location.latitude, longitude: m.location.longitude } } : {}),
  };
  const event: TelegramInboundEvent = {
    channel: 'telegram',
    kind: 'message',
    externalId: `${botId}:${update.update_id}`,
    occurredAt: new Date(m.date * 1000),
    contact: {
      name: nameOf(from),
      phones,
      identities: [{ kind: TELEGRAM_IDENTITY, value: String(from.id), details: from.username ? { username: from.username } : {} }],
    },
    message: { text: clip(text), details },
    source,
    fields: from.language_code ? { languageCode: from.language_code } : {},
  };
  return { type: 'message', event, from, chatId: m.chat.id, command };
}

function notAPrivateHuman(m: TgMessage): string | null {
  if (!m.chat || typeof m.chat.id !== 'number') return 'message without a chat';
  if (m.chat.type !== 'private') return `${m.chat.type} chat`;
  if (!m.from || typeof m.from.id !== 'number') return 'message without a sender';
  if (m.from.is_bot) return 'message from a bot';
  return null;
}

/** "/start abc" or "/tasks@MyBot" → { name, arg }. Only a command at the very start counts. */
export function commandOf(m: Pick<TgMessage, 'text' | 'entities'>): { name: string; arg: string } | null {
  const e = m.entities?.find((x) => x.type === 'bot_command' && x.offset === 0);
  if (!e || !m.text) return null;
  const name = m.text.slice(1, e.length).split('@')[0].toLowerCase();
  return { name, arg: m.text.slice(e.length).trim() };
}

function nameOf(u: TgUser): string | null {
  const name = [u.first_name, u.last_name].filter(Boolean).join(' ').trim();
  return (name || (u.username ? `@${u.username}` : '')).slice(0, NAME_LIMIT) || null;
}

function clip(s: string | null): string | null {
  return s === null ? null : s.slice(0, TEXT_LIMIT);
}

function mediaOf(m: TgMessage): TgMedia | undefined {
  if (m.photo?.length) {
    // Sizes come smallest first: keep the largest.
    const p = m.photo[m.photo.length - 1];
    return { type: 'photo', fileId: p.file_id, fileUniqueId: p.file_unique_id, size: p.file_size ?? null, mimeType: 'image/jpeg' };
  }
  if (m.document) {
    const d = m.document;
    return { type: 'document', fileId: d.file_id, fileUniqueId: d.file_unique_id, size: d.file_size ?? null, mimeType: d.mime_type ?? null, fileName: d.file_name ?? null };
  }
  if (m.voice) {
    const v = m.voice;
    return { type: 'voice', fileId: v.file_id, fileUniqueId: v.file_unique_id, size: v.file_size ?? null, mimeType: v.mime_type ?? 'audio/ogg', durationSeconds: v.duration };
  }
  if (m.audio) {
    const a = m.audio;
    return { type: 'audio', fileId: a.file_id, fileUniqueId: a.file_unique_id, size: a.file_size ?? null, mimeType: a.mime_type ?? null, fileName: a.file_name ?? null, durationSeconds: a.duration };
  }
  if (m.video) {
    const v = m.video;
    return { type: 'video', fileId: v.file_id, fileUniqueId: v.file_unique_id, size: v.file_size ?? null, mimeType: v.mime_type ?? 'video/mp4', fileName: v.file_name ?? null, durationSeconds: v.duration };
  }
  if (m.video_note) {
    const v = m.video_note;
    return { type: 'video_note', fileId: v.file_id, fileUniqueId: v.file_unique_id, size: v.file_size ?? null, mimeType: 'video/mp4', durationSeconds: v.duration };
  }
  if (m.sticker) {
    const s = m.sticker;
    const mimeType = s.is_video ? 'video/webm' : s.is_animated ? 'application/x-tgsticker' : 'image/webp';
    return { type: 'sticker', fileId: s.file_id, fileUniqueId: s.file_unique_id, size: s.file_size ?? null, mimeType, emoji: s.emoji ?? null };
  }
  return undefined;
}

/**
 * Deep-link payloads are limited to 64 characters of A-Za-z0-9_-, so campaigns are written as
 * "source-medium-campaign" or "source__campaign". The first part is the utm source, the rest the campaign.
 */
function utmOf(payload: string): Record<string, string> {
  const parts = payload.split(/__|-/).filter(Boolean);
  if (parts.length >= 3) return { source: parts[0], medium: parts[1], campaign: parts.slice(2).join('-') };
  if (parts.length === 2) return { source: parts[0], campaign: parts[1] };
  return { source: payload };
}
