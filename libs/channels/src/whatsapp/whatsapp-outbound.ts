import { ChannelStatusRegistry, ConversationsService, MessageUpdates, type DeliveryOutcome, type MessageSendPayload, type MessageTemplate, type StoredAttachment } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { whatsappErrorMeaning } from './whatsapp-errors';
import { GraphApiError, WhatsAppGraphClient, type GraphOutboundMessage } from './whatsapp-graph.client';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, whatsappStatusName, type WhatsAppOptions } from './whatsapp.options';

/** WhatsApp's caption limit for media messages; longer text goes as its own message after the files. */
const CAPTION_LIMIT = 1024;
/** A text message body's limit. */
const TEXT_LIMIT = 4096;

/** What the WhatsApp channel adds to a manager's message (compose): which provider, from which number, to which number, the template if any. */
export interface WhatsAppMessagePayload extends MessageSendPayload {
  /** 'twilio' when the client last wrote through Twilio; else the Cloud API. */
  provider?: 'cloud' | 'twilio';
  /** The business number (Cloud API phone number id) the client last wrote to; null = the first configured number. */
  phoneNumberId?: string | null;
  /** The Twilio WhatsApp sender the client last wrote to. */
  from?: string | null;
  /** The number the client writes from on WhatsApp (E.164); `to` is the contact's latest phone. */
  recipient?: string;
  template?: MessageTemplate;
}

type Part = { file: StoredAttachment; caption?: string } | { text: string } | { template: MessageTemplate };

/**
 * Managers' messages to clients through the Cloud API (POST /{phone-number-id}/messages): text,
 * files (uploaded to Meta first) and templates, from the number the client wrote to. The 24-hour
 * window is checked before the message is queued (`canReply`); what Meta answers decides the
 * outcome: rate limits come back later, errors that will never pass fail the message with Meta's
 * reason, and an expired token shows on the channel status while the outbox keeps retrying.
 */
@Injectable()
export class WhatsAppOutbound {
  private readonly log = new Logger('WhatsAppOutbound');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly graph: WhatsAppGraphClient,
    private readonly conversations: ConversationsService,
    private readonly messages: MessageUpdates,
    private readonly status: ChannelStatusRegistry,
    @Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions,
  ) {}

  /** The business number the client last wrote to: the reply comes from the same chat. */
  async replyNumber(em: EntityManager, contactId: string): Promise<string | null> {
    const [row]: Array<{ id: string | null }> = await em.query(
      `SELECT payload->'details'->>'phoneNumberId' AS id FROM activity
        WHERE channel = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->'details'->>'phoneNumberId' IS NOT NULL
          AND contact_id IN (SELECT id FROM contact WHERE id = $2 OR merged_into_id = $2)
        ORDER BY occurred_at DESC LIMIT 1`,
      [WHATSAPP_CHANNEL, contactId],
    );
    const id = row?.id ?? null;
    if (id && (!this.options.phoneNumberIds.length || this.options.phoneNumberIds.includes(id))) return id;
    return this.options.phoneNumberIds[0] ?? id;
  }

  /**
   * Sends the message's parts in order, recording each delivered part on the entry, so a retry after
   * a rate limit goes on from the part that was held instead of sending the first ones twice.
   */
  async deliver(p: WhatsAppMessagePayload): Promise<DeliveryOutcome> {
    const from = p.phoneNumberId ?? this.options.phoneNumberIds[0] ?? null;
    if (!from) return { status: 'failed', reason: 'rejected', error: 'no WhatsApp number to send from: the client never wrote to one, and WHATSAPP_PHONE_NUMBER_IDS is empty' };
    const to = (p.recipient ?? p.to).replace(/^\+/, '');
    const [activity]: Array<{ sent_parts: number | null; message_ids: string[] | null }> = await this.db.query(
      `SELECT (payload->'details'->>'sentParts')::int AS sent_parts, payload->'details'->'messageIds' AS message_ids FROM activity WHERE id = $1`,
      [p.activityId],
    );
    const parts = plan(p, p.attachments ? await this.conversations.attachmentsOf(p.activityId) : []);
    const ids: string[] = Array.isArray(activity?.message_ids) ? activity.message_ids : [];
    for (let i = activity?.sent_parts ?? 0; i < parts.length; i++) {
      let id: string;
      try {
        id = await this.graph.sendMessage(from, to, await this.message(from, parts[i]));
      } catch (err) {
        return this.refused(err, ids.length, parts.length);
      }
      ids.push(id);
      // Each part is recorded as it goes: a retry continues after the last delivered part.
      await this.messages.recordDeliveryProgress(p.activityId, { sentParts: i + 1, messageIds: ids });
    }
    this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'connected');
    // The last part's statuses speak for the message: it reached the client only when all parts did.
    return { status: 'sent', providerMessageId: ids[ids.length - 1] ?? null, details: { phoneNumberId: from, messageIds: ids, parts: parts.length } };
  }

  private async message(from: string, part: Part): Promise<GraphOutboundMessage> {
    if ('text' in part) return { type: 'text', text: { body: part.text, preview_url: false } };
    if ('template' in part) {
      const t = part.template;
      return {
        type: 'template',
        template: { name: t.name, language: { code: t.language }, ...(t.params.length ? { components: [{ type: 'body', parameters: t.params.map((text) => ({ type: 'text' as const, text })) }] } : {}) },
      };
    }
    const f = part.file;
    const type = mediaType(f);
    const mimeType = f.mimeType ?? 'application/octet-stream';
    const id = await this.graph.uploadMedia(from, { content: f.content, mimeType, fileName: f.fileName ?? `file-${f.position + 1}` });
    const media = { id, ...(part.caption && type !== 'audio' ? { caption: part.caption } : {}), ...(type === 'document' && f.fileName ? { filename: f.fileName } : {}) };
    return { type, [type]: media } as GraphOutboundMessage;
  }

  private refused(err: unknown, sent: number, total: number): DeliveryOutcome {
    if (!(err instanceof GraphApiError)) throw err;
    const meaning = whatsappErrorMeaning(err.code, err.details ?? err.message, err.status);
    const partial = sent ? ` (${sent} of ${total} parts were sent)` : '';
    if (meaning.kind === 'permanent') return { status: 'failed', reason: meaning.state, error: `${meaning.reason}${partial}` };
    if (meaning.kind === 'token') {
      this.status.report(WHATSAPP_CHANNEL, whatsappStatusName(this.options), 'error', `Graph API refused the access token: ${err.message} (renew WHATSAPP_ACCESS_TOKEN)`);
      this.log.error({ msg: 'whatsapp send refused the token', error: err.message, code: err.code });
      throw new Error(meaning.reason);
    }
    if (meaning.afterMs) return { status: 'retry-later', afterMs: meaning.afterMs, reason: meaning.reason };
    // A passing outage: the outbox's backoff decides when to try again.
    throw new Error(meaning.reason);
  }
}

/** Files first (the text as the first file's caption when it fits), then the text; a template alone. */
function plan(p: WhatsAppMessagePayload, files: StoredAttachment[]): Part[] {
  if (p.template) return [{ template: p.template }];
  const text = p.text.trim();
  const parts: Part[] = [];
  let captioned = false;
  for (const [i, file] of files.entries()) {
    const canCaption = i === 0 && !!text && text.length <= CAPTION_LIMIT && mediaType(file) !== 'audio';
    parts.push(canCaption ? { file, caption: text } : { file });
    captioned ||= canCaption;
  }
  if (text && !captioned) for (let i = 0; i < text.length; i += TEXT_LIMIT) parts.push({ text: text.slice(i, i + TEXT_LIMIT) });
  return parts;
}

function mediaType(f: StoredAttachment): 'image' | 'video' | 'audio' | 'document' {
  if (f.kind === 'photo' && /^image\/(jpeg|png)$/.test(f.mimeType ?? 'image/jpeg')) return 'image';
  if ((f.kind === 'video' || f.kind === 'video_note') && /^video\/(mp4|3gpp)$/.test(f.mimeType ?? 'video/mp4')) return 'video';
  if ((f.kind === 'voice' || f.kind === 'audio') && /^audio\//.test(f.mimeType ?? 'audio/ogg')) return 'audio';
  return 'document';
}
