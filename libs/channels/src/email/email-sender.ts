import { ConversationsService, OutboxHandlerRegistry, OutboxKind, type OutboxDelivery, type OutboxHandler } from '@leadline/core';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { MailboxesService, type Mailbox } from './mailboxes.service';

/** Payload of a 'message.email' outbox row (written by ConversationsService). */
export interface EmailOutboxPayload {
  activityId: string;
  contactId: string;
  dealId: string | null;
  to: string;
  subject: string;
  text: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
  mailboxId?: string;
  /** How many files are stored with the message (a manager's reply with a file from Telegram). */
  attachments?: number;
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
export class EmailSender implements OutboxHandler, OnModuleInit, OnModuleDestroy {
  readonly kind = OutboxKind.MessageEmail;
  private readonly log = new Logger('Email');
  private readonly transports = new Map<string, { key: string; transport: Transporter }>();

  constructor(
    private readonly registry: OutboxHandlerRegistry,
    private readonly mailboxes: MailboxesService,
    private readonly conversations: ConversationsService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  onModuleDestroy(): void {
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
  }

  async handle(delivery: OutboxDelivery): Promise<void> {
    const p = delivery.payload as unknown as EmailOutboxPayload;
    const mailbox = (p.mailboxId ? await this.mailboxes.load(p.mailboxId) : null) ?? (await this.mailboxes.defaultSender());
    if (!mailbox?.smtp) throw new Error(p.mailboxId ? `mailbox ${p.mailboxId} cannot send (no SMTP) and no other mailbox can` : 'no mailbox with SMTP is configured');
    const domain = mailbox.address.split('@')[1];
    const messageId = `<${delivery.id}@${domain}>`;
    const references = (p.references ?? []).filter(Boolean);
    const files = p.attachments ? await this.conversations.attachmentsOf(p.activityId) : [];
    const info = await this.transport(mailbox).sendMail({
      from: { name: mailbox.name, address: mailbox.address },
      to: p.to,
      subject: p.subject,
      text: p.text,
      ...(p.html ? { html: p.html } : {}),
      messageId,
      ...(p.inReplyTo ? { inReplyTo: p.inReplyTo } : {}),
      ...(references.length ? { references } : {}),
      headers: { [OWN_MAIL_HEADER]: mailbox.id },
      ...(files.length ? { attachments: files.map((f) => ({ filename: f.fileName ?? `${f.kind}-${f.position + 1}`, content: f.content, ...(f.mimeType ? { contentType: f.mimeType } : {}) })) } : {}),
    });
    await this.conversations.markSent(p.activityId, {
      providerMessageId: messageId,
      details: { messageId, inReplyTo: p.inReplyTo ?? null, references, mailboxId: mailbox.id, from: mailbox.address },
    });
    this.log.log({ msg: 'email sent', outboxId: delivery.id, activityId: p.activityId, mailbox: mailbox.name, messageId, response: info.response });
  }

  async onDead(delivery: OutboxDelivery, lastError: string): Promise<void> {
    const p = delivery.payload as unknown as EmailOutboxPayload;
    await this.conversations.markFailed(p.activityId, lastError);
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
