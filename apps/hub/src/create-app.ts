import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { FORM_BODY_LIMIT, FORM_FILE_MAX_BYTES, FORM_ROUTE, TELEGRAM_WEBHOOK_ROUTE, formErrorPages, requestAnnotations, telegramRawBody } from '@leadline/channels';
import { jsonDepth, jsonTextDepth, MAX_JSON_DEPTH, sanitizeForDatabase, type Clock } from '@leadline/core';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { SESSION_COOKIE } from './auth/auth.decorators';
import { registerImportBodies } from './http/import-body';
import type { HubConfig } from './config/config.schema';
import { registerAdminUi } from './http/admin-ui';
import { PinoNestLogger } from './logging/logger';
import { MetricsService } from './metrics/metrics.service';

export function createFastifyAdapter(config: HubConfig): FastifyAdapter {
  return new FastifyAdapter({ logger: false, trustProxy: config.TRUST_PROXY, bodyLimit: 1024 * 1024 });
}

/**
 * Everything the app needs beyond its modules: cookie parsing, the admin UI at /admin, per-route body limits, the access
 * log line, OpenAPI. Shared by `main.ts` and the tests so both run the same HTTP stack.
 */
export async function configureApp(app: NestFastifyApplication, logger: Logger, options: { adminUiDir?: string } = {}): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(fastifyCookie as never);
  // Multipart is read only where a handler asks for it (req.parts(): website forms with files).
  await app.register(fastifyMultipart as never, { limits: { fileSize: FORM_FILE_MAX_BYTES } });
  await registerAdminUi(fastify, options.adminUiDir);
  fastify.addHook('onRoute', (route) => {
    if (route.url === FORM_ROUTE && route.method === 'POST') {
      route.bodyLimit = FORM_BODY_LIMIT;
      // A browser's plain form post gets readable error pages even for refusals raised before the handler.
      const own = route.onSend ? (Array.isArray(route.onSend) ? route.onSend : [route.onSend]) : [];
      route.onSend = [...own, formErrorPages as never];
    }
    // Telegram updates are parsed by their controller, so a malformed one is acknowledged, not refused.
    if (route.url === TELEGRAM_WEBHOOK_ROUTE && route.method === 'POST') {
      const own = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
      route.onRequest = [...own, telegramRawBody as never];
    }
  });
  registerImportBodies(fastify);
  // Real payloads nest a few levels; thousands of levels are an attack on every recursive step after
  // the parser (jsonb, JSON.stringify, validation), so they stop here with a 400 that says why.
  fastify.addHook('preValidation', async (req, reply) => {
    const body: unknown = req.body;
    // Telegram updates arrive as text (parsed by their controller); other text bodies are not JSON.
    const telegram = typeof body === 'string' && req.routeOptions.url === TELEGRAM_WEBHOOK_ROUTE;
    const depth = telegram ? jsonTextDepth(body, MAX_JSON_DEPTH) : jsonDepth(body, MAX_JSON_DEPTH);
    if (depth > MAX_JSON_DEPTH) {
      return reply.code(400).send({ error: 'invalid', message: `request body is nested deeper than ${MAX_JSON_DEPTH} levels` });
    }
    // What people type into the API (a note, ?search=, a company name, a report filter) becomes storable
    // text here: NUL removed, lone surrogates replaced. Path and query everywhere; bodies of inbound
    // webhooks keep their bytes (signatures cover them, the raw payload is kept as received) and the
    // core cleans their events itself.
    cleanInPlace(req.query);
    cleanInPlace(req.params);
    if (!req.url.startsWith('/api/inbound/') && body !== null && body !== undefined) req.body = sanitizeForDatabase(body);
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.observeResponse(req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    const line = {
      method: req.method,
      path: req.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: req.ip,
      ...requestAnnotations(req),
    };
    if (line.path === '/health') logger.debug(line, 'request');
    else logger.info(line, 'request');
    done();
  });
  const doc = SwaggerModule.createDocument(
    app as unknown as INestApplication,
    new DocumentBuilder()
      .setTitle('Leadline hub API')
      .setDescription('Leads from every channel, one contact/deal database, callback tasks, timeline.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addCookieAuth(SESSION_COOKIE)
      .build(),
  );
  SwaggerModule.setup('api/docs', app as unknown as INestApplication, doc, { jsonDocumentUrl: 'api/docs/json' });
}

/** Nest reads path and query parameters from the objects Fastify made, so they are cleaned where they are. */
function cleanInPlace(values: unknown): void {
  if (!values || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const clean = sanitizeForDatabase(value);
    const cleanKey = sanitizeForDatabase(key);
    if (cleanKey !== key) delete record[key];
    record[cleanKey] = clean;
  }
}

/**
 * Builds the hub (not listening yet). `clock` replaces the system clock (tests place leads at night);
 * `adminUiDir` serves the admin UI from another build folder than dist/admin (browser tests).
 */
export async function createHubApp(config: HubConfig, logger: Logger, options: { clock?: Clock; adminUiDir?: string } = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), createFastifyAdapter(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // req.rawBody: signed webhooks (generic telephony HMAC) verify the exact bytes received.
    rawBody: true,
  });
  await configureApp(app, logger, { adminUiDir: options.adminUiDir });
  return app;
}
