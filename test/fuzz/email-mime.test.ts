import { EmailIntake, MailboxesService, type Mailbox } from '@leadline/channels';
import fc from 'fast-check';
import { TestHub } from '../support/test-hub';
import { expectStoredOrKept, FUZZ_TIMEOUT_MS, fuzzParams, hostileString, hostileText } from './fuzz-support';

jest.setTimeout(FUZZ_TIMEOUT_MS);

/**
 * The email door on arbitrary MIME: whatever bytes a mailer from 2005 (or an attacker) puts in a
 * mailbox, taking the message never throws (only a database outage may) and ends stored, skipped for a
 * stated reason, or kept as a failed receipt.
 */
describe('fuzz: email intake on arbitrary MIME', () => {
  let hub: TestHub;
  let mailbox: Mailbox;
  let intake: EmailIntake;
  let uid = 0;

  beforeAll(async () => {
    hub = await TestHub.start();
    const mailboxes = hub.app.get(MailboxesService);
    const view = await mailboxes.create({
      name: 'fuzz',
      address: 'sales@fuzz.example',
      imap: { host: '127.0.0.1', port: 1, tls: false, user: 'fuzz', password: 'fuzz', folder: 'INBOX' },
      smtp: null,
      formSenders: ['forms@fuzz.example'],
      enabled: false,
    });
    mailbox = (await mailboxes.load(view.id))!;
    intake = hub.app.get(EmailIntake);
  }, FUZZ_TIMEOUT_MS);
  afterAll(async () => {
    await hub?.close();
  });

  const header = (name: string) => fc.oneof(hostileString(80), fc.constant('')).map((v) => `${name}: ${v}`);
  const charset = fc.constantFrom('utf-8', 'koi8-r', 'windows-1251', 'iso-8859-1', 'x-unknown', 'utf-16', '');
  const encoding = fc.constantFrom('7bit', '8bit', 'quoted-printable', 'base64', 'x-uuencode', 'binary', '');
  const part = fc.record({
    type: fc.constantFrom('text/plain', 'text/html', 'application/pdf', 'image/svg+xml', 'message/rfc822', 'multipart/alternative', 'x/x'),
    charset,
    encoding,
    name: hostileString(30),
    body: hostileText(),
  });

  /** A message assembled from hostile headers and parts, sometimes well-formed, sometimes not at all. */
  const message = fc
    .record({
      from: fc.oneof(fc.constantFrom('Anna <anna@fuzz.example>', 'forms@fuzz.example', '"Ив\u0000ан" <ivan@fuzz.example>', 'MAILER-DAEMON@fuzz.example'), hostileString(60)),
      subject: hostileString(120),
      messageId: fc.oneof(fc.constant(null), hostileString(40).map((s) => `<${s}@fuzz>`)),
      extra: fc.array(fc.oneof(header('X-Junk'), header('In-Reply-To'), header('References'), header('Date'), header('Content-Type'), header('Auto-Submitted')), { maxLength: 4 }),
      boundary: hostileString(20),
      parts: fc.array(part, { minLength: 1, maxLength: 3 }),
      tail: fc.oneof(fc.constant(''), hostileString(200), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))),
    })
    .map((m) => {
      const boundary = m.boundary.replace(/[\r\n]/g, '') || 'b';
      const lines = [`From: ${m.from}`, 'To: sales@fuzz.example', `Subject: ${m.subject}`, ...(m.messageId ? [`Message-ID: ${m.messageId}`] : []), ...m.extra, 'MIME-Version: 1.0'];
      lines.push(`Content-Type: multipart/mixed; boundary="${boundary}"`, '');
      for (const p of m.parts) {
        lines.push(`--${boundary}`, `Content-Type: ${p.type}${p.charset ? `; charset=${p.charset}` : ''}; name="${p.name}"`, `Content-Transfer-Encoding: ${p.encoding}`, `Content-Disposition: attachment; filename="${p.name}"`, '', p.body);
      }
      lines.push(`--${boundary}--`, m.tail);
      return Buffer.from(lines.join('\r\n'), 'utf8');
    });

  it('never throws on arbitrary MIME or raw bytes, and keeps every message it does not skip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: message }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)) }), async (source) => {
        const outcome = await intake.take(mailbox, { folder: 'INBOX', uidValidity: 1, uid: ++uid }, source, ['sales@fuzz.example']);
        const o = outcome as { outcome: string; receiptId?: string; externalId?: string; activityId?: string | null };
        if (o.outcome === 'failed') await expectStoredOrKept(hub, o.receiptId!, 'email failed');
        if (o.outcome === 'lead' || o.outcome === 'message') {
          const [r] = await hub.query(`SELECT id FROM inbound_receipt WHERE channel = 'email' AND external_id = $1`, [o.externalId]);
          if (!r) throw new Error(`email ${o.outcome} without a receipt (${o.externalId})`);
          await expectStoredOrKept(hub, r.id, 'email');
        }
      }),
      fuzzParams(11),
    );
  });
});
