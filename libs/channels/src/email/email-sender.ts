import { ConversationsService, CORE_OPTIONS, type ChannelDelivery, type CoreOptions, type DeliveryOutcome, type MessageSendPayload } from '@leadline/core';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createTransport, type Transporter } from 'nodemailer';
import { DataSource } from 'typeorm';
import { EMAIL_OPTIONS, type EmailOptions } from './email-options';
import { MailboxesService, type Mailbox } from './mailboxes.service';
import { composeReply, fromDisplayName, type QuotedMessage } from './reply-composer';

/** A 'message.send' outbox row of the email channel: the core's fields plus what composeEmail added. */
export interface EmailOutboxPayload extends MessageSendPayload {
  subject: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
  mailboxId?: string;
}

/** Header on everything we send: a copy of it arriving in a watched mailbox is recognised as our own. */
export const OWN_MAIL_HEADER = 'X-Leadline-Mailbox';

/**
 * Sends a manager's email to a client over SMTP (nodemailer), From the mailbox's address, threaded
 * with In-Reply-To / References. The Message-ID is ours and derived from the outbox row id, so a
 * retry after a crash sends the same Message-ID (receivers drop the duplicate); it is stored on the
 * activity (markSent) so the client's answer finds its way back to the deal.
 */
@Injectable()
export class EmailSender implements OnModuleDestroy {
  private readonly log = new Logger('Email');
  private readonly transports = new Map<string, { key: string; transport: Transporter }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly core: CoreOptions,
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
    private readonly mailboxes: MailboxesService,
    private readonly conversations: ConversationsService,
  ) {}

  onModuleDestroy(): void {
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
  }

  /** The email channel's `deliver`: an SMTP failure throws (the outbox retries it; a bounce comes back later as mail). */
  async deliver(delivery: ChannelDelivery): Promise<DeliveryOutcome> {
    const p = delivery.payload as EmailOutboxPayload;
    const mailbox = (p.mailboxId ? await this.mailboxes.load(p.mailboxId) : null) ?? (await this.mailboxes.defaultSender());
    if (!mailbox?.smtp) throw new Error(p.mailboxId ? `mailbox ${p.mailboxId} cannot send (no SMTP) and no other mailbox can` : 'no mailbox with SMTP is configured');
    const domain = mailbox.address.split('@')[1];
    const messageId = `<${delivery.outboxId}@${domain}>`;
    const references = (p.references ?? []).filter(Boolean);
    const { managerName, quote } = await this.context(p);
    const body = composeReply(p.text, p.html ?? null, quote, this.core.businessHours.timezone);
    const name = fromDisplayName(managerName, mailbox.origin === 'env' ? this.options.fromName : mailbox.name);
    const files = p.attachments ? await this.conversations.attachmentsOf(p.activityId) : [];
    const info = await this.transport(mailbox).sendMail({
      from: name ? { name, address: mailbox.address } : mailbox.address,
      to: p.to,
      subject: p.subject,
      text: body.text,
      html: body.html,
      messageId,
      ...(p.inReplyTo ? { inReplyTo: p.inReplyTo } : {}),
      ...(references.length ? { references } : {}),
      headers: { [OWN_MAIL_HEADER]: mailbox.id },
      ...(files.length ? { attachments: files.map((f) => ({ filename: f.fileName ?? `${f.kind}-${f.position + 1}`, content: f.content, ...(f.mimeType ? { contentType: f.mimeType } : {}) })) } : {}),
    });
    this.log.log({ msg: 'email sent', outboxId: delivery.outboxId, activityId: p.activityId, mailbox: mailbox.name, messageId, response: info.response });
    return { status: 'sent', providerMessageId: messageId, details: { messageId, inReplyTo: p.inReplyTo ?? null, references, mailboxId: mailbox.id, from: mailbox.address } };
  }

  /**
   * Who writes (the manager behind the timeline entry) and the client's last email before it, to
   * quote. A form lead's "last email" is the site's notification: its parsed message is what the
   * client wrote, and they wrote it from the address we reply to.
   */
  private async context(p: EmailOutboxPayload): Promise<{ managerName: string | null; quote: QuotedMessage | null }> {
    const [row]: Array<{ manager_name: string | null; text: string | null; claimed_at: string | null; occurred_at: Date | null; client_name: string | null; from_address: string | null; form: boolean | null }> =
      await this.db.query(
        `SELECT m.name AS manager_name, q.text, q.claimed_at, q.occurred_at, q.client_name, q.from_address, q.form
           FROM activity o
           LEFT JOIN manager m ON m.id = o.actor_id
           LEFT JOIN LATERAL (
             SELECT a.payload->>'message' AS text, a.payload->>'claimedAt' AS claimed_at, a.occurred_at, c.name AS client_name,
                    a.payload->'details'->>'from' AS from_address, (a.payload->'details'->>'form')::boolean AS form
               FROM activity a JOIN contact c ON c.id = a.contact_id
              WHERE a.contact_id = o.contact_id AND a.channel = 'email' AND a.kind IN ('lead', 'repeat_lead', 'message_in')
                AND a.occurred_at <= o.occurred_at AND a.payload->>'message' IS NOT NULL
              ORDER BY a.occurred_at DESC, a.created_at DESC LIMIT 1
           ) q ON true
          WHERE o.id = $1`,
        [p.activityId],
      );
    if (!row) return { managerName: null, quote: null };
    const quote: QuotedMessage | null = row.text
      ? { text: row.text, name: row.client_name, address: row.form ? p.to : row.from_address, at: new Date(row.claimed_at ?? row.occurred_at ?? Date.now()) }
      : null;
    return { managerName: row.manager_name, quote };
  }

  private transport(m: Mailbox): Transporter {
    const smtp = m.smtp!;
    const key = `${m.updatedAt}|${smtp.host}|${smtp.port}|${smtp.tls}|${smtp.user}`;
    const cached = this.transports.get(m.id);
    if (cached?.key === key) return cached.transport;
    cached?.transport.close();
    const transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.tls,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      connectionTimeout: 20_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    this.transports.set(m.id, { key, transport });
    return transport;
  }
}
