import type { BotHandle } from './telegram-bots';

/** The Bot API hands out files up to 20 MB (getFile); bigger ones stay in Telegram. */
export const BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

export type TelegramFileKind = 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note' | 'sticker';

/** A file a bot received, as it arrived in the message. */
export interface ReceivedFile {
  kind: TelegramFileKind;
  fileId: string;
  fileName?: string | null;
  mimeType?: string | null;
  size?: number | null;
}

export class FileTooLarge extends Error {}

/**
 * Downloads a file one bot received (getFile, then /file/bot<token>/<path>), to upload it again through
 * another bot: file_ids belong to the bot that received them.
 */
export async function downloadFile(bot: BotHandle, fileId: string): Promise<Buffer> {
  const file = await bot.api.getFile(fileId);
  if (!file.file_path) throw new FileTooLarge('Telegram gave no file path (larger than 20 MB?)');
  if ((file.file_size ?? 0) > BOT_DOWNLOAD_LIMIT) throw new FileTooLarge(`the file is larger than 20 MB (${file.file_size} bytes)`);
  const res = await fetch(bot.fileUrl(file.file_path), { signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`Telegram file download failed: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const DEFAULT_NAMES: Record<TelegramFileKind, string> = {
  photo: 'photo.jpg',
  document: 'file',
  voice: 'voice.ogg',
  audio: 'audio.mp3',
  video: 'video.mp4',
  video_note: 'video-note.mp4',
  sticker: 'sticker.webp',
};

/**
 * Sends one file through `bot` with the Bot API method of its kind (multipart upload of `content`, or
 * an existing file_id of that same bot). Captions do not exist on video notes and stickers.
 */
export async function sendFile(
  bot: BotHandle,
  chatId: string | number,
  file: { kind: TelegramFileKind; content?: Buffer; fileId?: string; fileName?: string | null },
  extra: { caption?: string; reply_parameters?: { message_id: number; allow_sending_without_reply?: boolean } } = {},
): Promise<{ message_id: number; chat: { id: number } }> {
  // An upload (multipart, as Input.fromBuffer builds it) or a file_id this same bot already has.
  const input = file.content ? { source: file.content, filename: file.fileName || DEFAULT_NAMES[file.kind] } : file.fileId!;
  switch (file.kind) {
    case 'photo':
      return bot.api.sendPhoto(chatId, input, extra);
    case 'voice':
      return bot.api.sendVoice(chatId, input, extra);
    case 'audio':
      return bot.api.sendAudio(chatId, input, extra);
    case 'video':
      return bot.api.sendVideo(chatId, input, extra);
    case 'video_note':
      return bot.api.sendVideoNote(chatId, input, { reply_parameters: extra.reply_parameters });
    case 'sticker':
      return bot.api.sendSticker(chatId, input, { reply_parameters: extra.reply_parameters });
    default:
      return bot.api.sendDocument(chatId, input, extra);
  }
}

/** Files a manager can attach to a reply, as their message carries them (largest photo size). */
export function fileOfMessage(m: {
  photo?: Array<{ file_id: string; file_size?: number }>;
  document?: { file_id: string; file_name?: string; mime_type?: string; file_size?: number };
  voice?: { file_id: string; mime_type?: string; file_size?: number };
  audio?: { file_id: string; file_name?: string; mime_type?: string; file_size?: number };
  video?: { file_id: string; file_name?: string; mime_type?: string; file_size?: number };
  video_note?: { file_id: string; file_size?: number };
  sticker?: { file_id: string; file_size?: number; is_animated?: boolean; is_video?: boolean };
}): ReceivedFile | null {
  if (m.photo?.length) {
    const p = m.photo[m.photo.length - 1];
    return { kind: 'photo', fileId: p.file_id, mimeType: 'image/jpeg', size: p.file_size ?? null, fileName: 'photo.jpg' };
  }
  if (m.document) return { kind: 'document', fileId: m.document.file_id, fileName: m.document.file_name ?? null, mimeType: m.document.mime_type ?? null, size: m.document.file_size ?? null };
  if (m.voice) return { kind: 'voice', fileId: m.voice.file_id, mimeType: m.voice.mime_type ?? 'audio/ogg', size: m.voice.file_size ?? null, fileName: 'voice.ogg' };
  if (m.audio) return { kind: 'audio', fileId: m.audio.file_id, fileName: m.audio.file_name ?? null, mimeType: m.audio.mime_type ?? null, size: m.audio.file_size ?? null };
  if (m.video) return { kind: 'video', fileId: m.video.file_id, fileName: m.video.file_name ?? null, mimeType: m.video.mime_type ?? 'video/mp4', size: m.video.file_size ?? null };
  if (m.video_note) return { kind: 'video_note', fileId: m.video_note.file_id, mimeType: 'video/mp4', size: m.video_note.file_size ?? null, fileName: 'video-note.mp4' };
  return null;
}
