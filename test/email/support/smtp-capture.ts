import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

/** A real SMTP server on loopback (smtp-server) that records every message it accepts. */
export class SmtpCapture {
  readonly received: CapturedMail[] = [];
  private server: SMTPServer;
  port = 0;
  /** While set, every message is refused with this SMTP error (a failing provider). */
  rejectWith: string | null = null;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth: (_auth, _session, cb) => cb(null, { user: 'test' }),
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (this.rejectWith) {
            const err = Object.assign(new Error(this.rejectWith), { responseCode: 550 });
            return cb(err);
          }
          const raw = Buffer.concat(chunks);
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            parsed: await simpleParser(raw),
          });
          cb();
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  static async start(): Promise<SmtpCapture> {
    const s = new SmtpCapture();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', () => resolve()));
    s.port = (s.server.server.address() as { port: number }).port;
    return s;
  }

  env(): Record<string, string> {
    return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.port), SMTP_TLS: 'false', SMTP_USER: 'crm@test.local', SMTP_PASSWORD: 'secret' };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
