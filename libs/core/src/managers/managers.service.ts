import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { assertTimezone } from '../business-hours/business-hours';
import { CORE_OPTIONS, type CoreOptions } from '../core-options';
import { Manager, type ManagerRole } from '../entities';
import { DomainError } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import { normalizePhone } from '../identity/phone';

export interface ManagerInput {
  name?: string;
  email?: string;
  role?: ManagerRole;
  passwordHash?: string;
  phone?: string | null;
  active?: boolean;
  available?: boolean;
  capacity?: number | null;
  weight?: number;
  timezone?: string;
  locale?: string;
}

export type ManagerView = Omit<Manager, 'passwordHash'> & { openDeals: number };

@Injectable()
export class ManagersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly assignment: AssignmentService,
  ) {}

  async list(): Promise<ManagerView[]> {
    const managers = await this.db.getRepository(Manager).find({ order: { createdAt: 'ASC' } });
    const counts = await this.openDealCounts();
    return managers.map((m) => ({ ...m, openDeals: counts.get(m.id) ?? 0 }));
  }

  async get(id: string): Promise<ManagerView> {
    const m = await this.db.getRepository(Manager).findOne({ where: { id } });
    if (!m) throw DomainError.notFound('manager');
    return { ...m, openDeals: (await this.openDealCounts()).get(id) ?? 0 };
  }

  async findByEmailWithHash(email: string): Promise<Manager | null> {
    const normalized = normalizeEmail(email);
    if (!normalized) return null;
    return this.db
      .getRepository(Manager)
      .createQueryBuilder('m')
      .addSelect('m.passwordHash')
      .where('m.email = :email', { email: normalized })
      .getOne();
  }

  async count(role?: ManagerRole): Promise<number> {
    return this.db.getRepository(Manager).count(role ? { where: { role } } : {});
  }

  async create(input: ManagerInput & { name: string; email: string; role: ManagerRole }): Promise<ManagerView> {
    const values = this.validate(input);
    const exists = await this.db.getRepository(Manager).findOne({ where: { email: values.email! } });
    if (exists) throw DomainError.conflict('a manager with this email already exists');
    // The check above is for the common case; two simultaneous creates meet at the unique index.
    const res = await this.db.getRepository(Manager).insert(values).catch(rethrowDuplicateEmail);
    const id = res.identifiers[0].id as string;
    await this.assignment.drainQueue();
    return this.get(id);
  }

  /** Changing availability, capacity or activity may free someone to take queued deals. */
  async update(id: string, input: ManagerInput): Promise<ManagerView> {
    await this.get(id);
    const values = this.validate(input);
    if (values.email) {
      const other = await this.db.getRepository(Manager).findOne({ where: { email: values.email } });
      if (other && other.id !== id) throw DomainError.conflict('a manager with this email already exists');
    }
    if (Object.keys(values).length) await this.db.getRepository(Manager).update({ id }, values).catch(rethrowDuplicateEmail);
    if (input.available !== undefined || input.capacity !== undefined || input.active !== undefined || input.role !== undefined) {
      await this.assignment.drainQueue();
    }
    return this.get(id);
  }

  private validate(input: ManagerInput): Partial<Manager> {
    const out: Partial<Manager> = {};
    const fields: Record<string, string> = {};
    if (input.name !== undefined) {
      if (!input.name.trim()) fields.name = 'must not be empty';
      out.name = input.name.trim();
    }
    if (input.email !== undefined) {
      const e = normalizeEmail(input.email);
      if (!e) fields.email = 'not a valid email address';
      else out.email = e;
    }
    if (input.role !== undefined) out.role = input.role;
    if (input.passwordHash !== undefined) out.passwordHash = input.passwordHash;
    if (input.phone !== undefined) {
      if (input.phone === null || input.phone === '') out.phone = null;
      else {
        const p = normalizePhone(input.phone, this.options.defaultPhoneRegion);
        if (!p) fields.phone = 'not a valid phone number';
        else out.phone = p;
      }
    }
    if (input.active !== undefined) out.active = input.active;
    if (input.available !== undefined) out.available = input.available;
    if (input.capacity !== undefined) out.capacity = input.capacity;
    if (input.weight !== undefined) out.weight = input.weight;
    if (input.locale !== undefined) out.locale = input.locale;
    if (input.timezone !== undefined) {
      try {
        assertTimezone(input.timezone);
        out.timezone = input.timezone;
      } catch {
        fields.timezone = 'not an IANA timezone such as Europe/Moscow';
      }
    }
    if (Object.keys(fields).length) throw DomainError.invalid('invalid manager', fields);
    return out;
  }

  private async openDealCounts(): Promise<Map<string, number>> {
    const rows: Array<{ owner_id: string; n: string }> = await this.db.query(
      `SELECT owner_id, count(*) AS n FROM deal WHERE closed_at IS NULL AND owner_id IS NOT NULL GROUP BY owner_id`,
    );
    return new Map(rows.map((r) => [r.owner_id, Number(r.n)]));
  }
}

/** A unique violation on manager.email (lost race with a concurrent create/update) is a 409, not a 500. */
function rethrowDuplicateEmail(err: unknown): never {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  if ((e?.code ?? e?.driverError?.code) === '23505') throw DomainError.conflict('a manager with this email already exists');
  throw err;
}
