import { classifyEmail } from './email-classifier';
import { parseEmail } from './email-parser';

const CONTEXT = { ownAddresses: ['crm@test.local'], formSenders: [] };
const mail = (lines: string[]) => parseEmail(Buffer.from(lines.join('\r\n')));

describe('non-standard bounces', () => {
  it('Exim "Mail delivery failed": X-Failed-Recipients, the SMTP error, the original Message-ID from the pasted copy', async () => {
    const m = await mail([
      'Return-path: <>',
      'From: Mail Delivery System <Mailer-Daemon@mx.hoster.example>',
      'To: crm@test.local',
      'Subject: Mail delivery failed: returning message to sender',
      'Message-Id: <E1tXyZ-0001ab-Cd@mx.hoster.example>',
      'X-Failed-Recipients: old.client@gone.example',
      'Auto-Submitted: auto-replied',
      '',
      'This message was created automatically by mail delivery software.',
      '',
      'A message that you sent could not be delivered to one or more of its',
      'recipients. This is a permanent error. The following address(es) failed:',
      '',
      '  old.client@gone.example',
      '    host mx.gone.example [192.0.2.10]',
      '    SMTP error from remote mail server after RCPT TO:<old.client@gone.example>:',
      '    550 5.1.1 <old.client@gone.example>: Recipient address rejected: User unknown',
      '',
      '------ This is a copy of the message, including all the headers. ------',
      '',
      'From: Anna from Acme <crm@test.local>',
      'To: old.client@gone.example',
      'Subject: Re: Price',
      'Message-ID: <6f1c2d3e-0000-4000-8000-000000000001@test.local>',
      '',
      'Hello!',
      '',
    ]);
    expect(classifyEmail(m, CONTEXT).kind).toBe('bounce');
    expect(m.bounce).toEqual({
      originalMessageId: '<6f1c2d3e-0000-4000-8000-000000000001@test.local>',
      recipients: ['old.client@gone.example'],
      status: '5.1.1',
      diagnostic: '550 5.1.1 <old.client@gone.example>: Recipient address rejected: User unknown',
    });
  });

  it('qmail "failure notice": the address line and the reason under it', async () => {
    const m = await mail([
      'From: MAILER-DAEMON@mail.example.org',
      'To: crm@test.local',
      'Subject: failure notice',
      'Message-ID: <qmail-x@mail.example.org>',
      '',
      'Hi. This is the qmail-send program at mail.example.org.',
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      '',
      '<ghost@example.org>:',
      'Sorry, no mailbox here by that name. (#5.1.1)',
      '',
    ]);
    expect(m.bounce).toMatchObject({ recipients: ['ghost@example.org'], status: '5.1.1', diagnostic: 'Sorry, no mailbox here by that name. (#5.1.1)', originalMessageId: null });
  });

  it('a person writing "undelivered" in a subject is not a bounce', async () => {
    const m = await mail(['From: Client <client@example.com>', 'To: crm@test.local', 'Subject: Undelivered order #5521', 'Message-ID: <c1@example.com>', '', 'My order was not delivered. 550 boxes are missing.', '']);
    expect(m.bounce).toBeNull();
    expect(classifyEmail(m, CONTEXT).kind).toBe('message');
  });
});
