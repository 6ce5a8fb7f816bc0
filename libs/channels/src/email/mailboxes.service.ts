import { DomainError, returnedRows } from '@leadline/core';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EMAIL_OPTIONS, type EmailOptions, type MailboxSettings } from './email-options';

export type MailboxStatus = 'connected' | 'connecting' | 'error' | 'disabled';

/** A mailbox as the admin API shows it: no passwords. */
export interface MailboxView {
  id: string;
  name: string;
  address: string;
  origin: 'env' | 'api';
  imap: { host: string; port: number; tls: boolean; user: string; folder: string };
  smtp: { host: string; port: number; tls: boolean; user: string | null } | null;
  formSenders: string[];
  enabled: boolean;
  status: MailboxStatus;
  lastError: string | null;
  statusAt: string;
}

/** Everything a watcher or sender needs, passwords included. Server side only. */
export interface Mailbox extends MailboxSettings {
  id: string;
  origin: 'env' | 'api';
  updatedAt: string;
}

export interface MailboxPatch {
  name?: string;
  address?: string;
  imap?: Partial<MailboxSettings['imap']>;
  smtp?: Partial<NonNullable<MailboxSettings['smtp']>> | null;
  formSenders?: string[];
  enabled?: boolean;
}

const COLUMNS = `id, name, address, origin, imap_host, imap_port, imap_tls, imap_user, imap_password, imap_folder,
  smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password, form_senders, enabled, status, last_error, status_at, updated_at`;

/** The mailbox table: admin API CRUD, the env mailbox, and status reported by the process watching each. */
@Injectable()
export class MailboxesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EMAIL_OPTIONS) private readonly options: EmailOptions,
  ) {}

  async list(): Promise<MailboxView[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM mailbox ORDER BY created_at, name`);
    return rows.map(toView);
  }

  async get(id: string): Promise<MailboxView> {
    return toView(await this.row(id));
  }

  /** With passwords, for the watcher and the sender. */
  async load(id: string): Promise<Mailbox | null> {
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM mailbox WHERE id = $1`, [id]);
    return row ? toMailbox(row) : null;
  }

  async loadEnabled(): Promise<Mailbox[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM mailbox WHERE enabled ORDER BY created_at, name`);
    return rows.map(toMailbox);
  }

  /** Lower-cased addresses of every mailbox: mail from these is our own. */
  async ownAddresses(): Promise<string[]> {
    const rows: Array<{ address: string }> = await this.db.query(`SELECT DISTINCT lower(address) AS address FROM mailbox`);
    return rows.map((r) => r.address);
  }

  /** The mailbox replies go out from when the conversation names none: the env one, else the oldest that can send. */
  async defaultSender(): Promise<Mailbox | null> {
    const [row] = await this.db.query(
      `SELECT ${COLUMNS} FROM mailbox WHERE enabled AND smtp_host IS NOT NULL ORDER BY (origin = 'env') DESC, created_at LIMIT 1`,
    );
    return row ? toMailbox(row) : null;
  }

  async create(input: MailboxSettings): Promise<MailboxView> {
    validate(input);
    try {
      const [row] = await this.db.query(
        `INSERT INTO mailbox (name, address, origin, imap_host, imap_port, imap_tls, imap_user, imap_password, imap_folder,
                              smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password, form_senders, enabled, status)
         VALUES ($1, $2, 'api', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING ${COLUMNS}`,
        params(input),
      );
      return toView(row);
    } catch (err) {
      throw uniqueName(err, input.name);
    }
  }

  async update(id: string, patch: MailboxPatch): Promise<MailboxView> {
    const current = toMailbox(await this.row(id));
    const next: MailboxSettings = {
      name: patch.name ?? current.name,
      address: patch.address ?? current.address,
      imap: { ...current.imap, ...(patch.imap ?? {}) },
      smtp: patch.smtp === null ? null : patch.smtp ? mergeSmtp(current.smtp, patch.smtp) : current.smtp,
      formSenders: patch.formSenders ?? current.formSenders,
      enabled: patch.enabled ?? current.enabled,
    };
    validate(next);
    try {
      const [row] = returnedRows<any>(await this.db.query(
        `UPDATE mailbox SET name = $2, address = $3, imap_host = $4, imap_port = $5, imap_tls = $6, imap_user = $7, imap_password = $8,
                imap_folder = $9, smtp_host = $10, smtp_port = $11, smtp_tls = $12, smtp_user = $13, smtp_password = $14,
                form_senders = $15, enabled = $16, status = $17, last_error = NULL, status_at = now(), updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, ...params(next)],
      ));
      return toView(row);
    } catch (err) {
      throw uniqueName(err, next.name);
    }
  }

  /** Deleting keeps the mail already taken (activities, stored HTML and attachments). */
  async remove(id: string): Promise<void> {
    const rows = returnedRows(await this.db.query(`DELETE FROM mailbox WHERE id = $1 RETURNING id`, [id]));
    if (!rows.length) throw DomainError.notFound('mailbox');
  }

  /** Keeps the env mailbox's row in step with the environment (created on first start, updated when it changes). */
  async syncEnvMailbox(): Promise<void> {
    const env = this.options.envMailbox;
    if (!env) return;
    validate(env);
    await this.db.query(
      `INSERT INTO mailbox (name, address, origin, imap_host, imap_port, imap_tls, imap_user, imap_password, imap_folder,
                            smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password, form_senders, enabled, status)
       VALUES ($1, $2, 'env', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (name) DO UPDATE SET
         address = EXCLUDED.address, origin = 'env', imap_host = EXCLUDED.imap_host, imap_port = EXCLUDED.imap_port, imap_tls = EXCLUDED.imap_tls,
         imap_user = EXCLUDED.imap_user, imap_password = EXCLUDED.imap_password, imap_folder = EXCLUDED.imap_folder,
         smtp_host = EXCLUDED.smtp_host, smtp_port = EXCLUDED.smtp_port, smtp_tls = EXCLUDED.smtp_tls, smtp_user = EXCLUDED.smtp_user,
         smtp_password = EXCLUDED.smtp_password, form_senders = EXCLUDED.form_senders, enabled = true,
         updated_at = CASE WHEN (mailbox.address, mailbox.imap_host, mailbox.imap_port, mailbox.imap_tls, mailbox.imap_user, mailbox.imap_password,
                                 mailbox.imap_folder, mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_tls, mailbox.smtp_user, mailbox.smtp_password,
                                 mailbox.form_senders, mailbox.enabled)
                               IS NOT DISTINCT FROM
                                (EXCLUDED.address, EXCLUDED.imap_host, EXCLUDED.imap_port, EXCLUDED.imap_tls, EXCLUDED.imap_user, EXCLUDED.imap_password,
                                 EXCLUDED.imap_folder, EXCLUDED.smtp_host, EXCLUDED.smtp_port, EXCLUDED.smtp_tls, EXCLUDED.smtp_user, EXCLUDED.smtp_password,
                                 EXCLUDED.form_senders, true)
                          THEN mailbox.updated_at ELSE now() END`,
      params(env),
    );
  }

  /** Written by the process that holds the mailbox's lease, so every process (and the API) sees it. */
  async setStatus(id: string, status: MailboxStatus, lastError: string | null = null): Promise<void> {
    await this.db.query(
      // Connected again: the old error text goes (an operator must not read yesterday's outage as today's).
      `UPDATE mailbox SET status = $2, last_error = CASE WHEN $2 = 'error' THEN $3 WHEN $2 = 'connected' THEN NULL ELSE last_error END,
              status_at = CASE WHEN status = $2 THEN status_at ELSE now() END
        WHERE id = $1`,
      [id, status, lastError?.slice(0, 1000) ?? null],
    );
  }

  private async row(id: string): Promise<any> {
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM mailbox WHERE id = $1`, [id]);
    if (!row) throw DomainError.notFound('mailbox');
    return row;
  }
}

function mergeSmtp(current: MailboxSettings['smtp'], patch: Partial<NonNullable<MailboxSettings['smtp']>>): MailboxSettings['smtp'] {
  const base = current ?? { host: '', port: 0, tls: true, user: null, password: null };
  return { ...base, ...patch } as NonNullable<MailboxSettings['smtp']>;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function validate(m: MailboxSettings): void {
  const fields: Record<string, string> = {};
  if (!m.name.trim()) fields.name = 'must not be empty';
  if (!EMAIL.test(m.address)) fields.address = 'must be an email address';
  if (!m.imap.host) fields['imap.host'] = 'required';
  if (!m.imap.user) fields['imap.user'] = 'required';
  if (!m.imap.password) fields['imap.password'] = 'required';
  if (m.smtp && !m.smtp.host) fields['smtp.host'] = 'required when smtp is given';
  const bad = m.formSenders.find((s) => !EMAIL.test(s));
  if (bad) fields.formSenders = `not an email address: ${bad}`;
  if (Object.keys(fields).length) throw DomainError.invalid('invalid mailbox', fields);
}

function params(m: MailboxSettings): unknown[] {
  const smtp = m.smtp;
  return [
    m.name.trim(),
    m.address.trim().toLowerCase(),
    m.imap.host,
    m.imap.port || (m.imap.tls ? 993 : 143),
    m.imap.tls,
    m.imap.user,
    m.imap.password,
    m.imap.folder || 'INBOX',
    smtp?.host ?? null,
    smtp ? smtp.port || (smtp.tls ? 465 : 587) : null,
    smtp?.tls ?? true,
    smtp ? (smtp.user ?? m.imap.user) : null,
    smtp ? (smtp.password ?? m.imap.password) : null,
    JSON.stringify(m.formSenders.map((s) => s.trim().toLowerCase())),
    m.enabled,
    m.enabled ? 'connecting' : 'disabled',
  ];
}

function uniqueName(err: unknown, name: string): unknown {
  const code = (err as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (err as { code?: string })?.code;
  return code === '23505' ? DomainError.conflict(`a mailbox named "${name}" already exists`) : err;
}

function jsonArray(v: unknown): string[] {
  if (Array.isArray(v)) return v as string[];
  if (typeof v === 'string') return JSON.parse(v);
  return [];
}

function toMailbox(r: any): Mailbox {
  return {
    id: r.id,
    name: r.name,
    address: r.address,
    origin: r.origin,
    imap: { host: r.imap_host, port: Number(r.imap_port), tls: r.imap_tls, user: r.imap_user, password: r.imap_password, folder: r.imap_folder },
    smtp: r.smtp_host ? { host: r.smtp_host, port: Number(r.smtp_port), tls: r.smtp_tls, user: r.smtp_user, password: r.smtp_password } : null,
    formSenders: jsonArray(r.form_senders),
    enabled: r.enabled,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

function toView(r: any): MailboxView {
  const m = toMailbox(r);
  return {
    id: m.id,
    name: m.name,
    address: m.address,
    origin: m.origin,
    imap: { host: m.imap.host, port: m.imap.port, tls: m.imap.tls, user: m.imap.user, folder: m.imap.folder },
    smtp: m.smtp ? { host: m.smtp.host, port: m.smtp.port, tls: m.smtp.tls, user: m.smtp.user } : null,
    formSenders: m.formSenders,
    enabled: m.enabled,
    status: m.enabled ? r.status : 'disabled',
    lastError: r.last_error,
    statusAt: new Date(r.status_at).toISOString(),
  };
}
