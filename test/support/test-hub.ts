import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { FirstStartService } from '../../apps/hub/src/bootstrap/first-start.service';
import type { HubConfig } from '../../apps/hub/src/config/config.schema';
import { parseConfig } from '../../apps/hub/src/config/load-config';
import { createHubApp } from '../../apps/hub/src/create-app';
import { createRootLogger } from '../../apps/hub/src/logging/logger';
import { createTestDatabase, type TestDatabase } from './test-database';
import { TestClock } from './test-clock';

export const ADMIN_EMAIL = 'admin@test.local';
export const ADMIN_PASSWORD = 'admin-password-1';

export interface InjectOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'PUT';
  url: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` as application/x-www-form-urlencoded instead of JSON. */
  form?: boolean;
}

export interface InjectResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

/** A hub on its own fresh database, driven in-process through Fastify's inject (the full HTTP stack). */
export class TestHub {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly config: HubConfig,
    readonly db: TestDatabase,
    readonly clock: TestClock,
    readonly formKey: string,
  ) {}

  /** `routeDatabaseUrl` lets a test put something (a proxy) between the hub and PostgreSQL. */
  /**
   * `existing`: a second hub process on the same database (restart, two processes).
   * `adminUiDir`: serve a built admin UI from there (browser tests).
   */
  static async start(
    env: Record<string, string> = {},
    routeDatabaseUrl?: (url: string) => string,
    options: { existing?: TestDatabase; adminUiDir?: string } = {},
  ): Promise<TestHub> {
    const db = options.existing ?? (await createTestDatabase());
    const dbEnv = db.env.DATABASE_URL && routeDatabaseUrl ? { DATABASE_URL: routeDatabaseUrl(db.env.DATABASE_URL) } : db.env;
    const config = parseConfig({
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'silent',
      DEFAULT_PHONE_REGION: 'RU',
      // Tests drive the outbox with runOnce() and the test clock; a background poller would race them.
      OUTBOX_WORKER: 'off',
      // Tests drive the SLA clocks themselves: SlaService.tick() with hub.clock set.
      SLA_SCHEDULER: 'off',
      // Bursts of hundreds of in-process leads on a shared CI machine queue longer than the production
      // bounds; tests of those bounds (test/hostile/db-hang.test.ts) set them themselves.
      DB_ACQUIRE_TIMEOUT_MS: '60000',
      DB_STATEMENT_TIMEOUT_MS: '60000',
      ...dbEnv,
      ...env,
    });
    const clock = new TestClock();
    const app = await createHubApp(config, createRootLogger(config.LOG_LEVEL), { clock, adminUiDir: options.adminUiDir });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const report = await app.get(FirstStartService).run();
    return new TestHub(app, config, db, clock, report.formKey!);
  }

  /** Also serves real HTTP on 127.0.0.1 (a free port unless given); returns the base URL. */
  async listen(port = 0): Promise<string> {
    await this.app.listen(port, '127.0.0.1');
    const address = this.app.getHttpServer().address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.db.drop();
  }

  /** Stops this hub but keeps its database (a restart, or one of two processes going away). */
  async stop(): Promise<void> {
    await this.app.close();
  }

  async request(o: InjectOptions): Promise<InjectResponse> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let payload: string | undefined;
    if (o.body !== undefined) {
      if (o.form) {
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
        payload = typeof o.body === 'string' ? o.body : new URLSearchParams(o.body as Record<string, string>).toString();
      } else {
        headers['content-type'] ??= 'application/json';
        payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      }
    }
    const res = await this.app.inject({ method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'), url: o.url, headers, payload });
    let body: unknown = undefined;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  /** Posts to a web form (the default one unless `formKey` is given). */
  postForm(body: unknown, opts: { formKey?: string; headers?: Record<string, string>; form?: boolean } = {}): Promise<InjectResponse> {
    return this.request({ method: 'POST', url: `/api/inbound/forms/${opts.formKey ?? this.formKey}`, body, headers: opts.headers, form: opts.form });
  }

  async login(email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<string> {
    const res = await this.request({ method: 'POST', url: '/api/auth/login', body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed for ${email}: ${res.status} ${res.text}`);
    return res.body.token;
  }

  /** Creates a manager through the admin API and returns it with a login token. */
  async createManager(fields: Record<string, unknown> & { name: string }): Promise<{ id: string; token: string; email: string }> {
    const admin = await this.adminToken();
    const email = (fields.email as string) ?? `${fields.name.toLowerCase().replace(/\W+/g, '.')}@test.local`;
    const res = await this.request({ method: 'POST', url: '/api/managers', token: admin, body: { password: 'manager-pass-1', role: 'manager', ...fields, email } });
    if (res.status !== 201) throw new Error(`create manager failed: ${res.status} ${res.text}`);
    return { id: res.body.id, email, token: await this.login(email, 'manager-pass-1') };
  }

  private adminTokenCache: string | null = null;
  async adminToken(): Promise<string> {
    this.adminTokenCache ??= await this.login();
    return this.adminTokenCache;
  }

  query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }
}
