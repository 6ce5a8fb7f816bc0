import { CORE_OPTIONS, Clock, DatabaseUnavailableError, IntakeService, isDatabaseUnavailable, isIngestFailure, MessageUpdates, OutboxKind, OutboxService, sanitizeForDatabase, type CoreOptions } from '@leadline/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { classifyEmail, type EmailClass } from './email-classifier';
import { EMAIL_OPTIONS, type EmailOptions } from './email-options';
import { parseEmail, type ParsedEmail } from './email-parser';
import { emailExternalId, isUnreadableForm, mapEmail, MAX_TEXT_LENGTH, type EmailReceipt, type StoredAttachmentRef } from './email.mapper';
import { formHtmlToText } from './form-notification';
import type { Mailbox } from './mailboxes.service';

export interface MailboxPosition {
  folder: string;
  uidValidity: number;
  uid: number;
}

export type EmailOutcome =
  | { outcome: 'lead' | 'message' | 'duplicate'; externalId: string; contactId: string; dealId: string; activityId: string }
  | { outcome: 'bounce'; externalId: string; contactId: string | null; activityId: string | null }
  | { outcome: 'skipped'; externalId: string; kind: EmailClass; reason: string }
  | { outcome: 'failed'; externalId: string; receiptId: string; error: string };

/**
 * Takes one email from a mailbox into the CRM: parse, classify, keep HTML and attachments, then
 * route — a reply to our thread joins that contact, a known sender joins their deal, anyone else is
 * a new lead; bounces go on the timeline of the contact they belong to; auto-replies and our own
 * mail are skipped. Returns only after everything it wrote committed (the caller then advances the
 * mailbox's last UID). Throws only when the database is unreachable (try again later).
 */
@Injectable()
export class EmailIntake {
  private readonly log = new Logger('Email');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly intake: IntakeService,
    private readonly messages: MessageUpdates,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    @Inject(CORE_OPTIONS) private readonly core: CoreOptions,
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
  ) {}

  async take(mailbox: Mailbox, at: MailboxPosition, source: Buffer, ownAddresses: string[]): Promise<EmailOutcome> {
    const contentHash = createHash('sha256').update(source).digest('hex');
    const fallbackId = emailExternalId({ messageId: null, mailboxId: mailbox.id, contentHash });
    let mail: ParsedEmail;
    try {
      // Headers and bodies are stored (email_message) before intake: made storable here (NUL, lone surrogates).
      mail = sanitizeForDatabase(await parseEmail(source));
    } catch (err) {
      // Unparseable: kept (capped) as a failed receipt so nothing is silently lost.
      const raw = { mailboxId: mailbox.id, ...at, source: source.subarray(0, 256 * 1024).toString('base64') };
      const failure = await this.intake.recordFailure('email', fallbackId, raw, err);
      return { outcome: 'failed', externalId: fallbackId, receiptId: failure.receiptId, error: failure.error };
    }
    const externalId = emailExternalId({ messageId: mail.messageId, mailboxId: mailbox.id, contentHash });
    try {
      return await this.route(mailbox, at, mail, externalId, contentHash, ownAddresses);
    } catch (err) {
      if (isDatabaseUnavailable(err) || err instanceof DatabaseUnavailableError) throw err;
      const failure = await this.intake.recordFailure('email', externalId, { mailboxId: mailbox.id, ...at, messageId: mail.messageId, subject: mail.subject }, err);
      return { outcome: 'failed', externalId, receiptId: failure.receiptId, error: failure.error };
    }
  }

  private async route(mailbox: Mailbox, at: MailboxPosition, mail: ParsedEmail, externalId: string, contentHash: string, ownAddresses: string[]): Promise<EmailOutcome> {
    // Our own sent message coming back (a copy in the inbox, a loop through a forwarder).
    if (mail.messageId && (await this.sentByUs(mail.messageId))) return this.skipped(mailbox, externalId, 'own', 'a message we sent');
    const { kind, reason } = classifyEmail(mail, { ownAddresses, formSenders: mailbox.formSenders });
    if (kind === 'own' || kind === 'auto_reply') return this.skipped(mailbox, externalId, kind, reason);
    if (kind === 'bounce') return this.bounce(mailbox, mail, externalId, reason);

    const thread = kind === 'message' ? await this.threadOf(mail) : null;
    const emailId = await this.storeContent(mailbox, mail, externalId);
    const receipt: EmailReceipt = {
      mailboxId: mailbox.id,
      mailboxName: mailbox.name,
      folder: at.folder,
      uidValidity: at.uidValidity,
      uid: at.uid,
      contentHash,
      emailId: emailId.id,
      messageId: mail.messageId,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      from: mail.from!,
      replyTo: mail.replyTo,
      subject: mail.subject,
      text: mail.text?.slice(0, MAX_TEXT_LENGTH) ?? null,
      html: !!mail.html,
      date: mail.date,
      attachments: emailId.attachments,
      form: kind === 'form',
      htmlText: kind === 'form' && mail.html ? formHtmlToText(mail.html).slice(0, MAX_TEXT_LENGTH) : null,
      threadEmail: thread,
    };
    const event = mapEmail(receipt, this.core.defaultPhoneRegion);
    const result = await this.intake.ingest(event, receipt);
    if (isIngestFailure(result)) {
      this.log.error({ msg: 'email kept as failed receipt', mailbox: mailbox.name, externalId, receiptId: result.receiptId, error: result.error });
      return { outcome: 'failed', externalId, receiptId: result.receiptId, error: result.error };
    }
    await this.db.query(`UPDATE email_message SET contact_id = $2, activity_id = $3 WHERE id = $1 AND activity_id IS NULL`, [emailId.id, result.contactId, result.activityId]);
    if (isUnreadableForm(event) && !result.duplicate) {
      // The lead exists with the raw text; a person has to read it and fill in who to call.
      this.log.warn({ msg: 'form email not readable, lead kept with its raw text', mailbox: mailbox.name, externalId, from: mail.from?.address, activityId: result.activityId });
      await this.outbox.enqueue(this.db.manager, {
        kind: OutboxKind.NotifyAdmins,
        payload: { event: 'form_email_unreadable', contactId: result.contactId, dealId: result.dealId, activityId: result.activityId, leadId: result.leadId, subject: mail.subject, from: mail.from?.address ?? null, mailbox: mailbox.name },
      });
    }
    const outcome = result.duplicate ? 'duplicate' : kind === 'message' && result.repeatLead ? 'message' : 'lead';
    this.log.log({ msg: `email ${outcome}`, mailbox: mailbox.name, uid: at.uid, externalId, class: kind, contactId: result.contactId, dealId: result.dealId, activityId: result.activityId, thread: !!thread });
    return { outcome, externalId, contactId: result.contactId, dealId: result.dealId, activityId: result.activityId };
  }

  private skipped(mailbox: Mailbox, externalId: string, kind: EmailClass, reason: string): EmailOutcome {
    this.log.log({ msg: 'email skipped', mailbox: mailbox.name, externalId, class: kind, reason });
    return { outcome: 'skipped', externalId, kind, reason };
  }

  private async sentByUs(messageId: string): Promise<boolean> {
    const [row] = await this.db.query(
      `SELECT 1 FROM activity WHERE channel = 'email' AND kind = 'message_out' AND payload->'details'->>'messageId' = $1 LIMIT 1`,
      [messageId],
    );
    return !!row;
  }

  /**
   * The conversation a reply belongs to: the newest email activity (ours or theirs) whose Message-ID
   * the reply names in In-Reply-To / References. Returns that contact's email address, so intake
   * resolves the reply to that contact (and its open deal) even when it comes from another address.
   */
  private async threadOf(mail: ParsedEmail): Promise<string | null> {
    const ids = [...new Set([mail.inReplyTo, ...[...mail.references].reverse()].filter((x): x is string => !!x))];
    if (!ids.length) return null;
    const [row] = await this.db.query(
      `SELECT COALESCE(c.merged_into_id, c.id) AS contact_id, a.payload->>'to' AS sent_to
         FROM activity a JOIN contact c ON c.id = a.contact_id
        WHERE a.channel = 'email' AND a.payload->'details'->>'messageId' = ANY($1::text[])
        ORDER BY (a.kind = 'message_out') DESC, a.occurred_at DESC LIMIT 1`,
      [ids],
    );
    if (!row) return null;
    if (row.sent_to) return String(row.sent_to).toLowerCase();
    const [identity] = await this.db.query(`SELECT value FROM contact_identity WHERE contact_id = $1 AND kind = 'email' ORDER BY created_at LIMIT 1`, [row.contact_id]);
    return identity?.value ?? null;
  }

  /** Raw HTML and attachments, keyed by the receipt's external id: a retry or rescan reuses the same row. */
  private async storeContent(mailbox: Mailbox, mail: ParsedEmail, externalId: string): Promise<{ id: string; attachments: StoredAttachmentRef[] }> {
    return this.db.transaction(async (em: EntityManager) => {
      const inserted = await em.query(
        `INSERT INTO email_message (id, external_id, mailbox_id, message_id, html) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (external_id) DO NOTHING RETURNING id`,
        [randomUUID(), externalId, mailbox.id, mail.messageId, mail.html],
      );
      const id: string = inserted[0]?.id ?? (await em.query(`SELECT id FROM email_message WHERE external_id = $1`, [externalId]))[0].id;
      const refs: StoredAttachmentRef[] = [];
      for (const [position, a] of mail.attachments.entries()) {
        const stored = a.size <= this.options.attachmentMaxBytes;
        const [row] = await em.query(
          `INSERT INTO email_attachment (id, email_id, position, filename, content_type, size, content_id, inline, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (email_id, position) DO UPDATE SET filename = EXCLUDED.filename RETURNING id`,
          [randomUUID(), id, position, a.filename, a.contentType, a.size, a.contentId, a.inline, stored ? a.content : null],
        );
        refs.push({ id: row.id, filename: a.filename, contentType: a.contentType, size: a.size, stored });
      }
      return { id, attachments: refs };
    });
  }

  /**
   * A delivery failure report: shown on the timeline of the contact it belongs to (found by the
   * Message-ID of our message it reports on, else by the failed recipient address), and the sent
   * message is marked failed. Never a lead. Idempotent through its inbound receipt.
   */
  private async bounce(mailbox: Mailbox, mail: ParsedEmail, externalId: string, reason: string): Promise<EmailOutcome> {
    const b = mail.bounce;
    let target: { activity_id: string | null; actor_id: string | null; contact_id: string; deal_id: string | null } | undefined;
    if (b?.originalMessageId) {
      [target] = await this.db.query(
        `SELECT a.id AS activity_id, a.actor_id, COALESCE(c.merged_into_id, c.id) AS contact_id, a.deal_id
           FROM activity a JOIN contact c ON c.id = a.contact_id
          WHERE a.channel = 'email' AND a.kind = 'message_out' AND a.payload->'details'->>'messageId' = $1 LIMIT 1`,
        [b.originalMessageId],
      );
    }
    const recipients = b?.recipients.length ? b.recipients : addressesIn(mail.text ?? '').filter((a) => a !== mailbox.address && !a.startsWith('mailer-daemon@') && !a.startsWith('postmaster@'));
    if (!target && recipients.length) {
      // A report that does not quote our Message-ID: our latest message to that address (last 7 days) is the one that bounced.
      [target] = await this.db.query(
        `SELECT a.id AS activity_id, a.actor_id, COALESCE(c.merged_into_id, c.id) AS contact_id, a.deal_id
           FROM activity a JOIN contact c ON c.id = a.contact_id
          WHERE a.channel = 'email' AND a.kind = 'message_out' AND lower(a.payload->>'to') = ANY($1::text[])
            AND a.occurred_at > $2::timestamptz - interval '7 days'
          ORDER BY a.occurred_at DESC LIMIT 1`,
        [recipients, this.clock.now()],
      );
    }
    if (!target && recipients.length) {
      [target] = await this.db.query(
        `SELECT NULL::uuid AS activity_id, NULL::uuid AS actor_id, COALESCE(c.merged_into_id, c.id) AS contact_id,
                (SELECT d.id FROM deal d WHERE d.contact_id = COALESCE(c.merged_into_id, c.id) AND d.closed_at IS NULL ORDER BY d.created_at DESC LIMIT 1) AS deal_id
           FROM contact_identity i JOIN contact c ON c.id = i.contact_id
          WHERE i.kind = 'email' AND i.value = ANY($1::text[]) LIMIT 1`,
        [recipients],
      );
    }
    if (!target) {
      this.log.warn({ msg: 'bounce for no known contact', mailbox: mailbox.name, externalId, recipients, originalMessageId: b?.originalMessageId ?? null });
      return { outcome: 'bounce', externalId, contactId: null, activityId: null };
    }
    const error = `bounced: ${b?.diagnostic ?? b?.status ?? mail.subject ?? reason}`.slice(0, 1000);
    const raw = { mailboxId: mailbox.id, messageId: mail.messageId, subject: mail.subject, bounce: b, text: mail.text?.slice(0, 4000) ?? null };
    const activityId = await this.messages.recordBounce({
      channel: 'email',
      externalId,
      raw,
      contactId: target.contact_id,
      dealId: target.deal_id,
      original: { activityId: target.activity_id, actorId: target.actor_id },
      error,
      recipients,
      payload: {
        subject: mail.subject,
        message: mail.text?.slice(0, 4000) ?? null,
        recipients,
        status: b?.status ?? null,
        diagnostic: b?.diagnostic ?? null,
        details: { messageId: null, bounceMessageId: mail.messageId, originalMessageId: b?.originalMessageId ?? null, originalActivityId: target.activity_id, mailboxId: mailbox.id },
      },
    });
    const written = activityId !== null;
    this.log.log({ msg: written ? 'email bounce recorded' : 'email bounce duplicate', mailbox: mailbox.name, externalId, contactId: target.contact_id, originalActivityId: target.activity_id });
    return { outcome: 'bounce', externalId, contactId: target.contact_id, activityId };
  }
}

function addressesIn(text: string): string[] {
  return [...new Set((text.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g) ?? []).map((a) => a.toLowerCase()))];
}
