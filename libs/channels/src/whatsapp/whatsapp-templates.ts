import { ContactsService, DomainError, serviceWindow, type Viewer } from '@leadline/core';
import { Controller, Get, Inject, Injectable, Param, ParseUUIDPipe, Query, Req } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { Clock } from '@leadline/core';
import { WhatsAppGraphClient, type GraphTemplate } from './whatsapp-graph.client';
import { lastWhatsAppInboundAt } from './whatsapp-channel';
import { WHATSAPP_CHANNEL, WHATSAPP_OPTIONS, type WhatsAppOptions } from './whatsapp.options';

/** A message template as managers pick it: its body with {{n}} placeholders and how many values it needs. */
export interface WhatsAppTemplate {
  name: string;
  language: string;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED: only APPROVED ones can be sent. */
  status: string;
  category: string | null;
  header: string | null;
  body: string;
  footer: string | null;
  /** The number of body parameters ({{1}} … {{n}}); a send must give exactly this many values. */
  params: number;
  /** Meta's example values of the parameters (what the template was approved with). */
  examples: string[];
  wabaId: string;
}

/** Meta's template → what the composer shows. Pure. */
export function describeTemplate(t: GraphTemplate, wabaId: string): WhatsAppTemplate | null {
  if (typeof t?.name !== 'string' || typeof t.language !== 'string') return null;
  const part = (type: string) => (t.components ?? []).find((c) => String(c?.type).toUpperCase() === type);
  const body = part('BODY')?.text ?? '';
  const numbers = [...body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]));
  const header = part('HEADER');
  return {
    name: t.name,
    language: t.language,
    status: String(t.status ?? 'UNKNOWN').toUpperCase(),
    category: t.category ?? null,
    header: header && String(header.format ?? 'TEXT').toUpperCase() === 'TEXT' ? (header.text ?? null) : null,
    body,
    footer: part('FOOTER')?.text ?? null,
    params: numbers.length ? Math.max(...numbers) : 0,
    examples: part('BODY')?.example?.body_text?.[0]?.map(String) ?? [],
    wabaId,
  };
}

/** The template body with its values in place: what the timeline shows for a template message. */
export function renderTemplate(body: string, params: readonly string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (m, n: string) => params[Number(n) - 1] ?? m);
}

/** Templates change rarely (Meta reviews them); kept briefly so every composer opening is not a Graph call. */
const CACHE_MS = 60_000;

@Injectable()
export class WhatsAppTemplates {
  private cache: { at: number; list: WhatsAppTemplate[] } | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly graph: WhatsAppGraphClient,
    @Inject(WHATSAPP_OPTIONS) private readonly options: WhatsAppOptions,
  ) {}

  /** Every template of the configured business accounts (else of those clients wrote to), Meta's order. */
  async list(fresh = false): Promise<WhatsAppTemplate[]> {
    if (!fresh && this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache.list;
    const out: WhatsAppTemplate[] = [];
    for (const waba of await this.accounts()) {
      for (const t of await this.graph.templates(waba)) {
        const d = describeTemplate(t, waba);
        if (d) out.push(d);
      }
    }
    this.cache = { at: Date.now(), list: out };
    return out;
  }

  /** An approved template by name and language, or 400 naming what is wrong. */
  async approved(name: string, language: string, params: readonly string[]): Promise<WhatsAppTemplate> {
    const t = (await this.list()).find((x) => x.name === name && x.language === language);
    if (!t) throw DomainError.invalid(`no WhatsApp template "${name}" in ${language}`, { template: 'unknown template or language' });
    if (t.status !== 'APPROVED') throw DomainError.invalid(`the WhatsApp template "${name}" is ${t.status.toLowerCase()}, not approved`, { template: `status ${t.status}` });
    if (params.length !== t.params) throw DomainError.invalid(`the template "${name}" takes ${t.params} values`, { params: `exactly ${t.params} values` });
    return t;
  }

  private async accounts(): Promise<string[]> {
    if (this.options.businessAccountIds.length) return [...this.options.businessAccountIds];
    // The WABA id comes with every delivery (entry.id): the accounts clients have written to.
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT DISTINCT payload->'details'->>'wabaId' AS id FROM activity WHERE channel = $1 AND payload->'details'->>'wabaId' IS NOT NULL LIMIT 20`,
      [WHATSAPP_CHANNEL],
    );
    return rows.map((r) => r.id);
  }
}

function viewerOf(req: FastifyRequest): Viewer {
  return (req as FastifyRequest & { viewer: Viewer }).viewer;
}

/**
 * For admins and the composer: every template of the business account with its status and
 * parameters (GET /api/channels/whatsapp/templates lists the approved ones to send), and when a
 * contact's 24-hour window closes.
 */
@ApiTags('whatsapp')
@Controller('api/whatsapp')
export class WhatsAppTemplatesController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly templates: WhatsAppTemplates,
    private readonly contacts: ContactsService,
    private readonly clock: Clock,
  ) {}

  @Get('templates')
  @ApiResponse({ status: 200, description: '{templates: [{name, language, status, category, header, body, footer, params, examples, wabaId}]}' })
  async list(@Query('fresh') fresh: string | undefined) {
    return { templates: await this.templates.list(fresh === '1' || fresh === 'true') };
  }

  @Get('contacts/:id/window')
  @ApiResponse({ status: 200, description: '{open, closesAt, reason}: free text only while open; otherwise an approved template' })
  async window(@Req() req: FastifyRequest, @Param('id', ParseUUIDPipe) id: string) {
    await this.contacts.assertVisible(viewerOf(req), id);
    const w = serviceWindow(await lastWhatsAppInboundAt(this.db.manager, id), this.clock.now());
    return { open: w.open, closesAt: w.closesAt?.toISOString() ?? null, reason: w.open ? null : 'window_closed', explanation: w.reason };
  }
}
