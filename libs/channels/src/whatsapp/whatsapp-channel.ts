import { DomainError, serviceWindow, type ChannelMediaSource, type ChannelPlugin, type ComposeContext, type ComposedMessage, type DeliveryOutcome, type MessageTemplateInfo, type ReplyPermission } from '@leadline/core';
import type { EntityManager } from 'typeorm';
import type { TwilioMessagesSender } from '../twilio-messaging/twilio-messages.sender';
import type { WhatsAppOutbound, WhatsAppMessagePayload } from './whatsapp-outbound';
import type { WhatsAppTemplates } from './whatsapp-templates';
import { WHATSAPP_CHANNEL } from './whatsapp.options';

/** What this hub has for WhatsApp: the Cloud API (with media and templates) and/or Twilio's WhatsApp sender. */
export interface WhatsAppParts {
  media: ChannelMediaSource | null;
  cloud: { outbound: WhatsAppOutbound; templates: WhatsAppTemplates } | null;
  twilio: TwilioMessagesSender | null;
  now: () => Date;
}

const CLOUD_ENV = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'];

/** When the client last wrote on WhatsApp (any number, any provider), as the hub received it. */
export async function lastWhatsAppInboundAt(em: EntityManager, contactId: string): Promise<Date | null> {
  const [row]: Array<{ at: Date | string | null }> = await em.query(
    `SELECT max(occurred_at) AS at FROM activity
      WHERE channel = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') AND contact_id IN (SELECT id FROM contact WHERE id = $2 OR merged_into_id = $2)`,
    [WHATSAPP_CHANNEL, contactId],
  );
  return row?.at ? new Date(row.at) : null;
}

interface LastMessage {
  provider: string | null;
  phone_number_id: string | null;
  twilio_to: string | null;
  phone: string | null;
}

/**
 * The WhatsApp channel: clients write through the Cloud API webhook or Twilio; the wa_id is a phone
 * identity (owned by telephony). Managers answer within WhatsApp's 24-hour window (`canReply`), with an
 * approved template outside it (Cloud API), through the provider and to the number the client last
 * wrote through; the message counts as an answer once WhatsApp reports it delivered or read.
 */
export function whatsappChannel(parts: WhatsAppParts): ChannelPlugin {
  const twilio = parts.twilio?.whatsappEnabled ? parts.twilio : null;
  const sends = !!parts.cloud || !!twilio;
  const base: ChannelPlugin = {
    name: WHATSAPP_CHANNEL,
    iconKey: 'whatsapp',
    label: { en: 'WhatsApp', ru: 'WhatsApp' },
    order: 50,
    capabilities: { inbound: true, reply: sends, media: true, templates: !!parts.cloud, calls: false, subject: false },
    identityKinds: [],
    // WhatsApp through Twilio posts to the Twilio messaging route (labelled SMS); the Cloud API webhook is WhatsApp's own.
    inboundRoutes: { prefixes: ['/api/inbound/whatsapp'], signed: true },
    availability: async () => ({
      receives: !!parts.media || !!twilio,
      sends,
      calls: false,
      enableWith: sends ? [] : [...CLOUD_ENV, 'TWILIO_WHATSAPP_NUMBER'],
    }),
    ...(parts.media ? { media: parts.media } : {}),
  };
  if (!sends) return base;
  return {
    ...base,
    outbound: {
      addressKinds: ['phone'],
      // A phone-only contact (a caller) is not offered WhatsApp first: outside a window it takes templates only.
      fallbackRank: 60,
      notifyAuthorOnFailure: true,
      answersOnDelivery: true,
      canReply: async (em, contactId): Promise<ReplyPermission> => {
        const window = serviceWindow(await lastWhatsAppInboundAt(em, contactId), parts.now());
        return window.open ? { ok: true } : { ok: false, reason: 'window_closed' };
      },
      ...(parts.cloud ? { templates: async (): Promise<MessageTemplateInfo[]> => approvedTemplates(parts.cloud!.templates) } : {}),
      compose: (c) => compose(c, parts, twilio),
      deliver: async (d): Promise<DeliveryOutcome> => {
        const p = d.payload as WhatsAppMessagePayload;
        if (p.provider === 'twilio' && twilio) return twilio.deliver('whatsapp', { ...p, to: p.recipient ?? p.to });
        if (parts.cloud) return parts.cloud.outbound.deliver(p);
        return twilio!.deliver('whatsapp', { ...p, to: p.recipient ?? p.to });
      },
    },
  };
}

async function approvedTemplates(templates: WhatsAppTemplates): Promise<MessageTemplateInfo[]> {
  return (await templates.list()).filter((t) => t.status === 'APPROVED').map((t) => ({ name: t.name, language: t.language, text: t.body, params: t.params }));
}

/**
 * The provider and numbers of a reply: those of the client's last WhatsApp message (a Cloud API
 * number or Twilio's sender, and the number they wrote from); a template is checked against Meta's
 * list (approved, that language, exactly its number of values), 400 otherwise.
 */
async function compose(c: ComposeContext, parts: WhatsAppParts, twilio: TwilioMessagesSender | null): Promise<ComposedMessage> {
  const [last]: LastMessage[] = await c.em.query(
    `SELECT payload->'details'->>'provider' AS provider, payload->'details'->>'phoneNumberId' AS phone_number_id,
            payload->'details'->>'to' AS twilio_to, payload->'identities'->0->>'value' AS phone
       FROM activity
      WHERE channel = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') AND contact_id IN (SELECT id FROM contact WHERE id = $2 OR merged_into_id = $2)
      ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
    [WHATSAPP_CHANNEL, c.contactId],
  );
  const viaTwilio = (last?.provider === 'twilio' && !!twilio) || !parts.cloud;
  const recipient = last?.phone && /^\+\d{6,15}$/.test(last.phone) ? last.phone : c.address;
  if (c.template) {
    if (viaTwilio || !parts.cloud) throw DomainError.invalid('this client wrote through Twilio: WhatsApp templates go through the Cloud API only', { template: 'not available for this client' });
    await parts.cloud.templates.approved(c.template.name, c.template.language, c.template.params);
  }
  const payload: Partial<WhatsAppMessagePayload> = viaTwilio
    ? { provider: 'twilio', recipient, from: last?.provider === 'twilio' ? last.twilio_to : null }
    : { provider: 'cloud', recipient, phoneNumberId: parts.cloud ? await parts.cloud.outbound.replyNumber(c.em, c.contactId) : null, ...(c.template ? { template: c.template } : {}) };
  return { payload, details: { recipient, ...(c.template ? { template: c.template } : {}) } };
}
