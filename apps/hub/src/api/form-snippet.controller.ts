import { Public, snippetScript } from '@leadline/channels';
import { WebFormsService } from '@leadline/core';
import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubConfig } from '../config/config.schema';
import { HUB_CONFIG } from '../config/load-config';

/**
 * GET /forms/KEY.js: the embed script of a form, included by the owner's site. Cached by browsers
 * for five minutes and revalidated by ETag after that, so a change of the form's settings (thank-you
 * text, success URL) reaches visitors within minutes without a new snippet.
 */
@ApiTags('inbound')
@Controller('forms')
export class FormSnippetController {
  constructor(
    private readonly forms: WebFormsService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Public()
  @Get(':file')
  @ApiProduces('text/javascript')
  async script(@Param('file') file: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const key = /^(f_[A-Za-z0-9_-]{1,64})\.js$/.exec(file)?.[1];
    const form = key ? await this.forms.findActiveByKey(key) : null;
    reply.header('X-Content-Type-Options', 'nosniff');
    if (!form) {
      return reply
        .status(404)
        .header('Content-Type', 'text/javascript; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .send(`/* Leadline: no active form ${JSON.stringify(file).replace(/</g, '\\u003c')} */\n`);
    }
    const { body, etag } = snippetScript(form, `${this.config.PUBLIC_URL}/api/inbound/forms/${form.key}`);
    reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', 'public, max-age=300, stale-while-revalidate=86400')
      .header('ETag', etag)
      // Loaded by other sites' pages.
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .header('Access-Control-Allow-Origin', '*');
    const match = String(req.headers['if-none-match'] ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^W\//, ''));
    if (match.includes(etag)) return reply.status(304).send();
    return reply.status(200).send(body);
  }
}
