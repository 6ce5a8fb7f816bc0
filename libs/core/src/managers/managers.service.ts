import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { assertTimezone } from '../business-hours/business-hours';
import { ManagerBindingRegistry, type ManagerBinding } from '../channels/manager-bindings';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { Manager, type ManagerRole } from '../entities';
import { DomainError } from '../errors/domain-error';
import { normalizeEmail } from '../identity/email';
import { normalizePhone } from '../identity/phone';
import { isOnShift, parseShift } from './shift-schedule';

export interface ManagerInput {
  name?: string;
  email?: string;
  role?: ManagerRole;
  passwordHash?: string;
  phone?: string | null;
  active?: boolean;
  available?: boolean;
  /** Weekly shift in the manager's timezone ("Mon-Fri 09:00-18:00"); null or "" removes it. */
  shift?: string | null;
  capacity?: number | null;
  weight?: number;
  timezone?: string;
  /** null = the hub's default language. */
  locale?: string | null;
  /** Gets new leads; default true for managers, false for admins. */
  receivesLeads?: boolean;
}

/**
 * `onShift`: within the shift at the clock's now (always true without a schedule); `receivingLeads`:
 * active, a lead recipient, not paused and on shift; `bindings`: the manager's accounts on channels
 * (the Telegram account the manager bot writes to), as the channels that own them report.
 */
export type ManagerView = Omit<Manager, 'passwordHash'> & { openDeals: number; onShift: boolean; receivingLeads: boolean; bindings: ManagerBinding[] };

@Injectable()
export class ManagersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly assignment: AssignmentService,
    private readonly clock: Clock,
    private readonly bindings: ManagerBindingRegistry,
  ) {}

  async list(): Promise<ManagerView[]> {
    const managers = await this.db.getRepository(Manager).find({ order: { createdAt: 'ASC' } });
    const counts = await this.openDealCounts();
    const bindings = await this.bindings.bindingsOf(managers.map((m) => m.id));
    return managers.map((m) => this.view(m, counts.get(m.id) ?? 0, bindings.get(m.id) ?? []));
  }

  async get(id: string): Promise<ManagerView> {
    const m = await this.db.getRepository(Manager).findOne({ where: { id } });
    if (!m) throw DomainError.notFound('manager');
    const bindings = await this.bindings.bindingsOf([id]);
    return this.view(m, (await this.openDealCounts()).get(id) ?? 0, bindings.get(id) ?? []);
  }

  private view(m: Manager, openDeals: number, bindings: ManagerBinding[]): ManagerView {
    const onShift = isOnShift(m, this.clock.now());
    return { ...m, openDeals, onShift, receivingLeads: m.active && m.receivesLeads && m.available && onShift, bindings };
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
    // An admin is not a lead recipient unless marked so.
    const values = { receivesLeads: input.role !== 'admin', ...this.validate(input, 'UTC') };
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
    const current = await this.get(id);
    const values = this.validate(input, current.timezone);
    if (values.email) {
      const other = await this.db.getRepository(Manager).findOne({ where: { email: values.email } });
      if (other && other.id !== id) throw DomainError.conflict('a manager with this email already exists');
    }
    if (Object.keys(values).length) await this.db.getRepository(Manager).update({ id }, values).catch(rethrowDuplicateEmail);
    // A role change moves the lead-recipient default with it, unless the flag is given too.
    if (input.role !== undefined && input.receivesLeads === undefined && input.role !== current.role) values.receivesLeads = input.role !== 'admin';
    const eligibility: Array<keyof ManagerInput> = ['available', 'capacity', 'active', 'role', 'shift', 'timezone', 'receivesLeads'];
    if (eligibility.some((k) => input[k] !== undefined)) {
      await this.assignment.drainQueue();
    }
    return this.get(id);
  }

  /** `currentTimezone`: the one a shift is read in when the input does not change it. */
  private validate(input: ManagerInput, currentTimezone: string): Partial<Manager> {
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
    if (input.receivesLeads !== undefined) out.receivesLeads = input.receivesLeads;
    if (input.timezone !== undefined) {
      try {
        assertTimezone(input.timezone);
        out.timezone = input.timezone;
      } catch {
        fields.timezone = 'not an IANA timezone such as Europe/Moscow';
      }
    }
    if (input.shift !== undefined) {
      const shift = input.shift === null ? null : input.shift.trim() || null;
      try {
        parseShift(shift, out.timezone ?? (fields.timezone ? 'UTC' : currentTimezone));
        out.shift = shift;
      } catch (e) {
        fields.shift = `${(e as Error).message}; expected like "Mon-Fri 09:00-18:00; Sat 10:00-14:00"`;
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
