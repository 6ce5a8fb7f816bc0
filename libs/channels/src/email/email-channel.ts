import { ChannelRegistry, FRESH_THREAD_SUBJECT, type ChannelAvailability, type ChannelPlugin, type ComposeContext, type ComposedMessage } from '@leadline/core';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { EmailSender } from './email-sender';

interface ThreadRow {
  subject: string | null;
  message_id: string | null;
  references: string[] | null;
  mailbox_id: string | null;
}

/**
 * The email channel as the hub sees it: mailboxes watched over IMAP bring leads and replies; managers'
 * replies go out over SMTP threaded onto the conversation (compose) from the mailbox it arrived in.
 */
@Injectable()
export class EmailChannel implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registry: ChannelRegistry,
    private readonly sender: EmailSender,
  ) {}

  onModuleInit(): void {
    this.registry.register(this.plugin());
  }

  plugin(): ChannelPlugin {
    return {
      name: 'email',
      iconKey: 'email',
      label: { en: 'Email', ru: 'Email' },
      order: 20,
      capabilities: { inbound: true, reply: true, media: true, templates: false, calls: false, subject: true },
      identityKinds: ['email'],
      availability: () => this.availability(),
      outbound: {
        addressKinds: ['email'],
        fallbackRank: 50,
        // A bounce comes back later as mail; the email intake tells the author then ('bounced').
        notifyAuthorOnFailure: false,
        compose: (c) => this.compose(c),
        deliver: (d) => this.sender.deliver(d),
      },
    };
  }

  /** Receives with any enabled mailbox; sends with one that has SMTP (env or added on the Channels page). */
  private async availability(): Promise<ChannelAvailability> {
    const [mail]: Array<{ receiving: number; sending: number }> = await this.db.query(
      `SELECT count(*)::int AS receiving, count(*) FILTER (WHERE smtp_host IS NOT NULL AND smtp_host <> '')::int AS sending FROM mailbox WHERE enabled`,
    );
    return { receives: mail.receiving > 0, sends: mail.sending > 0, calls: false, enableWith: mail.sending > 0 ? [] : ['settings:channels', 'IMAP_HOST', 'SMTP_HOST'] };
  }

  /** Subject ("Re: …" of the thread, else a fresh one in the client's language), In-Reply-To, References, the mailbox to send from. */
  private async compose(c: ComposeContext): Promise<ComposedMessage> {
    const thread = await this.thread(c.em, c.contactId);
    const subject = c.subject || (thread?.subject ? replySubject(thread.subject) : FRESH_THREAD_SUBJECT[await c.clientLanguage()]);
    const references = [...(thread?.references ?? []), ...(thread?.message_id ? [thread.message_id] : [])].filter(uniqueStrings());
    return {
      payload: {
        subject,
        ...(c.html ? { html: c.html } : {}),
        ...(thread?.message_id ? { inReplyTo: thread.message_id } : {}),
        references,
        ...(thread?.mailbox_id ? { mailboxId: thread.mailbox_id } : {}),
      },
      entry: { subject },
      details: { inReplyTo: thread?.message_id ?? null, references, mailboxId: thread?.mailbox_id ?? null },
    };
  }

  /**
   * The latest email of the conversation (either direction) that carries a Message-ID: what a reply
   * threads onto. When that is a site-form notification (details.form), the client never saw it:
   * the reply starts a fresh thread to the client (no In-Reply-To, References or "Re:" of it), from
   * the mailbox it arrived in.
   */
  private async thread(em: EntityManager, contactId: string): Promise<ThreadRow | null> {
    const [row]: ThreadRow[] = await em.query(
      `SELECT CASE WHEN payload->'details'->>'form' = 'true' THEN NULL ELSE payload->>'subject' END AS subject,
              CASE WHEN payload->'details'->>'form' = 'true' THEN NULL ELSE payload->'details'->>'messageId' END AS message_id,
              CASE WHEN payload->'details'->>'form' = 'true' THEN NULL
                   WHEN jsonb_typeof(payload->'details'->'references') = 'array'
                   THEN ARRAY(SELECT jsonb_array_elements_text(payload->'details'->'references')) END AS "references",
              payload->'details'->>'mailboxId' AS mailbox_id
         FROM activity
        WHERE contact_id = $1 AND channel = 'email' AND kind IN ('lead', 'repeat_lead', 'message_in', 'message_out')
          AND payload->'details'->>'messageId' IS NOT NULL
        ORDER BY occurred_at DESC, created_at DESC LIMIT 1`,
      [contactId],
    );
    return row ?? null;
  }
}

function replySubject(subject: string): string {
  return /^\s*(re|ответ|на)\s*:/i.test(subject) ? subject.trim() : `Re: ${subject.trim()}`;
}

function uniqueStrings() {
  const seen = new Set<string>();
  return (v: string) => !!v && !seen.has(v) && !!seen.add(v);
}
