import { CORE_OPTIONS, InboundReplayRegistry, type CoreOptions } from '@leadline/core';
import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { EmailChannel } from './email-channel';
import { EmailIntake } from './email-intake.service';
import { DEFAULT_EMAIL_OPTIONS, EMAIL_OPTIONS, type EmailOptions } from './email-options';
import { EmailSender } from './email-sender';
import { EmailWatchers } from './email-watchers';
import { mapEmail, type EmailReceipt } from './email.mapper';
import { MailboxState } from './mailbox-state';
import { MailboxesService } from './mailboxes.service';

/** Email: mailboxes watched over IMAP (leads, replies, bounces) and replies sent over SMTP through the outbox. */
@Module({})
export class EmailModule implements OnModuleInit {
  constructor(
    private readonly replay: InboundReplayRegistry,
    @Inject(CORE_OPTIONS) private readonly core: CoreOptions,
  ) {}

  static forRoot(options: Partial<EmailOptions> = {}): DynamicModule {
    return {
      module: EmailModule,
      providers: [
        { provide: EMAIL_OPTIONS, useValue: { ...DEFAULT_EMAIL_OPTIONS, ...options } },
        MailboxesService,
        MailboxState,
        EmailIntake,
        EmailWatchers,
        EmailSender,
        EmailChannel,
      ],
      exports: [EMAIL_OPTIONS, MailboxesService, EmailWatchers, EmailIntake],
    };
  }

  onModuleInit(): void {
    // A failed email receipt keeps its parsed form (without attachment content); replay maps it again.
    this.replay.register('email', (raw) => {
      const r = raw as Partial<EmailReceipt>;
      if (!r.from || !r.mailboxId) throw new Error('this email receipt holds no parsed message to replay (it could not be parsed)');
      return mapEmail(r as EmailReceipt, this.core.defaultPhoneRegion);
    });
  }
}
