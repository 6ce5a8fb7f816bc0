import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';

/** Which way of reaching clients this hub has switched on, and what an admin sets to switch it on. */
export interface ChannelAvailability {
  key: 'web_form' | 'email' | 'telegram' | 'phone';
  /** Leads arrive through it. */
  receives: boolean;
  /** Managers can write to clients through it (email: a mailbox with SMTP; Telegram: the bot). */
  sends: boolean;
  /** Click-to-call rings the manager's phone through the provider (else the UI dials with `tel:`). */
  calls: boolean;
  /** What turns the missing part on: environment variables, or an admin page (`settings:channels`). */
  enableWith: string[];
}

/**
 * Reads the hub's configuration (and the mailboxes table) once per request: cheap, and always the
 * truth of this process, so the UI never offers a channel the hub would refuse with 409.
 */
@Injectable()
export class ChannelAvailabilityService {
  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async list(): Promise<ChannelAvailability[]> {
    const c = this.config;
    const [mail] = await this.db.query(
      `SELECT count(*)::int AS receiving, count(*) FILTER (WHERE smtp_host IS NOT NULL AND smtp_host <> '')::int AS sending FROM mailbox WHERE enabled`,
    );
    const twilio = c.twilioAccounts.length > 0;
    const callEnable = twilio ? (c.TWILIO_NUMBER ? [] : ['TWILIO_NUMBER']) : ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_NUMBER'];
    return [
      { key: 'web_form', receives: true, sends: false, calls: false, enableWith: [] },
      {
        key: 'email',
        receives: mail.receiving > 0,
        sends: mail.sending > 0,
        calls: false,
        enableWith: mail.sending > 0 ? [] : ['settings:channels', 'IMAP_HOST', 'SMTP_HOST'],
      },
      { key: 'telegram', receives: !!c.TELEGRAM_BOT_TOKEN, sends: !!c.TELEGRAM_BOT_TOKEN, calls: false, enableWith: c.TELEGRAM_BOT_TOKEN ? [] : ['TELEGRAM_BOT_TOKEN'] },
      {
        key: 'phone',
        receives: twilio || !!c.TELEPHONY_WEBHOOK_SECRET,
        sends: false,
        calls: twilio && !!c.TWILIO_NUMBER,
        enableWith: twilio || c.TELEPHONY_WEBHOOK_SECRET ? callEnable : [...callEnable, 'TELEPHONY_WEBHOOK_SECRET'],
      },
    ];
  }
}
