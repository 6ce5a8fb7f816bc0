import { DomainError, type ChannelPlugin, type ComposeContext, type ComposedMessage } from '@leadline/core';
import { SMS_CHANNEL } from './twilio-messaging.mapper';
import type { TwilioMessagesSender, TwilioMessagePayload } from './twilio-messages.sender';
import { SMS_TEXT_LIMIT } from './twilio-messages.sender';

/**
 * The SMS channel (Twilio Messaging on the telephony account): an SMS to the company number is a lead
 * like a call from it; managers answer by SMS from the number the client wrote to. Text only. The
 * message counts as an answer once Twilio reports it delivered. Without Twilio it is listed as off
 * (old entries keep their name) and cannot reply.
 */
export function smsChannel(sender: TwilioMessagesSender | null): ChannelPlugin {
  const base: ChannelPlugin = {
    name: SMS_CHANNEL,
    iconKey: 'sms',
    label: { en: 'SMS', ru: 'SMS' },
    order: 45,
    capabilities: { inbound: true, reply: !!sender, media: false, templates: false, calls: false, subject: false },
    identityKinds: [],
    inboundRoutes: { prefixes: ['/api/inbound/twilio/messaging'], signed: true },
    availability: async () =>
      sender ? { receives: true, sends: true, calls: false, enableWith: [] } : { receives: false, sends: false, calls: false, enableWith: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_NUMBER'] },
  };
  if (!sender) return base;
  return {
    ...base,
    outbound: {
      addressKinds: ['phone'],
      // Any phone can take an SMS: for a caller who never wrote, SMS is the reply channel before WhatsApp.
      fallbackRank: 40,
      notifyAuthorOnFailure: true,
      answersOnDelivery: true,
      compose,
      deliver: (d) => sender.deliver('sms', d.payload as TwilioMessagePayload),
    },
  };
}

/** Text only, within the SMS limit; the reply goes from the company number the client wrote to. */
async function compose(c: ComposeContext): Promise<ComposedMessage> {
  if (c.attachments) throw DomainError.invalid('an SMS carries text only', { attachments: 'SMS cannot carry files' });
  if (c.text.length > SMS_TEXT_LIMIT) throw DomainError.invalid(`an SMS reply is limited to ${SMS_TEXT_LIMIT} characters`, { text: `at most ${SMS_TEXT_LIMIT} characters` });
  const [last]: Array<{ to: string | null }> = await c.em.query(
    `SELECT payload->'details'->>'to' AS "to" FROM activity
      WHERE channel = $1 AND kind IN ('lead', 'repeat_lead', 'message_in') AND payload->'details'->>'provider' = 'twilio'
        AND contact_id IN (SELECT id FROM contact WHERE id = $2 OR merged_into_id = $2)
      ORDER BY occurred_at DESC LIMIT 1`,
    [SMS_CHANNEL, c.contactId],
  );
  return { payload: { from: last?.to ?? null } };
}
