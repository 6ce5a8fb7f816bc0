import { EMAIL_HTML_CSP, INLINE_PART_MAX_BYTES, sanitizeEmailHtml, type InlinePart } from '@leadline/channels';
import { ContactsService, DomainError, ErrorCode, safeFileHeaders, type Viewer } from '@leadline/core';
import { Controller, Get, Param, ParseUUIDPipe, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { CurrentViewer } from '../auth/auth.decorators';

/** What an email activity carries beyond its text: the HTML body (sanitised) and attachments. Scoped like contacts. */
@ApiTags('email')
@Controller('api')
export class EmailContentController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsService,
  ) {}

  /** The HTML of an email activity, sanitised (stored raw). Meant for `<iframe sandbox srcdoc>`; served under a CSP that runs nothing. */
  @Get('activities/:id/html')
  @ApiProduces('text/html')
  async html(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Res() reply: FastifyReply) {
    const [row] = await this.db.query(
      `SELECT a.contact_id, m.id AS email_id, m.html FROM activity a
         LEFT JOIN email_message m ON m.id::text = a.payload->'details'->>'emailId'
        WHERE a.id = $1 AND a.channel = 'email'`,
      [id],
    );
    if (!row) throw DomainError.notFound('email activity');
    await this.contacts.assertVisible(viewer, row.contact_id);
    if (!row.html) throw DomainError.notFound('HTML body of this email');
    reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', EMAIL_HTML_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'private, no-store');
    // Inline images (cid:) come from the message's own stored parts.
    const parts: Array<{ content_id: string; content_type: string; content: Buffer }> = await this.db.query(
      `SELECT content_id, content_type, content FROM email_attachment
        WHERE email_id = $1 AND content_id IS NOT NULL AND content IS NOT NULL AND size <= $2`,
      [row.email_id, INLINE_PART_MAX_BYTES],
    );
    const inline = new Map<string, InlinePart>(parts.map((p) => [p.content_id.toLowerCase(), { contentType: p.content_type, content: Buffer.from(p.content) }]));
    return reply.send(sanitizeEmailHtml(row.html, inline));
  }

  /** An attachment of a received email, always as a download (never rendered in our origin; see safeFileHeaders). */
  @Get('attachments/:id')
  @ApiProduces('application/octet-stream')
  async attachment(@CurrentViewer() viewer: Viewer, @Param('id', ParseUUIDPipe) id: string, @Res() reply: FastifyReply) {
    const [row] = await this.db.query(
      `SELECT a.filename, a.content_type, a.size, a.content, a.content IS NOT NULL AS stored, m.contact_id
         FROM email_attachment a JOIN email_message m ON m.id = a.email_id WHERE a.id = $1`,
      [id],
    );
    if (!row || !row.contact_id) throw DomainError.notFound('attachment');
    await this.contacts.assertVisible(viewer, row.contact_id);
    if (!row.stored) throw new DomainError(ErrorCode.NotFound, `the attachment was over the size limit (${row.size} bytes) and was not stored`);
    const content = Buffer.from(row.content);
    reply.headers(safeFileHeaders({ contentType: row.content_type, filename: row.filename || 'attachment', length: content.length, download: true }));
    return reply.send(content);
  }
}

