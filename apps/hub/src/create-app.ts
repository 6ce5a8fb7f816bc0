import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { FORM_BODY_LIMIT, FORM_FILE_MAX_BYTES, FORM_ROUTE, TELEGRAM_WEBHOOK_ROUTE, formErrorPages, requestAnnotations, telegramRawBody } from '@leadline/channels';
import type { Clock } from '@leadline/core';
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
