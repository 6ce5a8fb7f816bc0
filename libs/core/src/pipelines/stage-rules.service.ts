import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { execute, queryRow, queryRows } from '../database/query-rows';
import { dueMinutes } from '../deals/pipeline';
import type { StageRuleDueUnit, StageRuleTarget } from '../entities';
import { DomainError } from '../errors/domain-error';
import { StageAutomation } from './stage-automation';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export type StageRuleView = Wire.StageRule;

export interface StageRuleInput {
  title?: string;
  assignTo?: StageRuleTarget;
  managerId?: string | null;
  dueIn?: number;
  dueUnit?: StageRuleDueUnit;
  active?: boolean;
}

/** Longest due time a rule may set, in minutes of business time (about a year of working days). */
const MAX_DUE_MINUTES = 120_000;

/** A stage rule as RULE_COLUMNS selects it. */
interface StageRuleRow {
  id: string;
  stage_id: string;
  title: string;
  assign_to: StageRuleTarget;
  manager_id: string | null;
  manager_name: string | null;
  due_in: number;
  due_unit: StageRuleDueUnit;
  active: boolean;
  created_at: Date | string;
}

const RULE_COLUMNS = `r.id, r.stage_id, r.title, r.assign_to, r.manager_id, m.name AS manager_name, r.due_in, r.due_unit, r.active, r.created_at`;

/** Stage rules: "on entering this stage create task T for X, due in N minutes/hours" (applied by StageAutomation). */
@Injectable()
export class StageRulesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly automation: StageAutomation,
  ) {}

  async list(stageId: string): Promise<StageRuleView[]> {
    await this.assertStage(this.db.manager, stageId);
    return (await this.listForStages(this.db.manager, [stageId])).get(stageId) ?? [];
  }

  async listForStages(em: EntityManager, stageIds: string[]): Promise<Map<string, StageRuleView[]>> {
    const out = new Map<string, StageRuleView[]>();
    if (stageIds.length === 0) return out;
    const rows = await queryRows<StageRuleRow>(
      em,
      `SELECT ${RULE_COLUMNS} FROM stage_rule r LEFT JOIN manager m ON m.id = r.manager_id
        WHERE r.stage_id = ANY($1::uuid[]) ORDER BY r.created_at, r.id`,
      [stageIds],
    );
    for (const r of rows) {
      const list = out.get(r.stage_id) ?? [];
      list.push(toRuleView(r));
      out.set(r.stage_id, list);
    }
    return out;
  }

  async create(stageId: string, input: StageRuleInput & { title: string; dueIn: number; dueUnit: StageRuleDueUnit }): Promise<StageRuleView> {
    await this.assertStage(this.db.manager, stageId);
    const v = await this.validate({ assignTo: 'owner', active: true, managerId: null, ...input }, input);
    const [row] = await queryRows<{ id: string }>(
      this.db,
      `INSERT INTO stage_rule (stage_id, title, assign_to, manager_id, due_in, due_unit, active) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [stageId, v.title, v.assignTo, v.managerId, v.dueIn, v.dueUnit, v.active],
    );
    this.automation.forgetEntryStage();
    return this.get(row.id);
  }

  async update(ruleId: string, input: StageRuleInput): Promise<StageRuleView> {
    const current = await this.get(ruleId);
    // Moving away from a named manager drops the manager; moving to one needs one.
    const managerId = input.managerId !== undefined ? input.managerId : (input.assignTo ?? current.assignTo) === 'manager' ? current.managerId : null;
    const v = await this.validate({ ...current, ...stripUndefined(input), managerId }, input);
    await execute(
      this.db,
      `UPDATE stage_rule SET title = $2, assign_to = $3, manager_id = $4, due_in = $5, due_unit = $6, active = $7, updated_at = now() WHERE id = $1`,
      [ruleId, v.title, v.assignTo, v.managerId, v.dueIn, v.dueUnit, v.active],
    );
    this.automation.forgetEntryStage();
    return this.get(ruleId);
  }

  /** Tasks a rule already made stay (their stage still cancels them when the deal leaves it). */
  async remove(ruleId: string): Promise<void> {
    await this.get(ruleId);
    await execute(this.db, `DELETE FROM stage_rule WHERE id = $1`, [ruleId]);
    this.automation.forgetEntryStage();
  }

  async get(ruleId: string): Promise<StageRuleView> {
    const row = await queryRow<StageRuleRow>(this.db, `SELECT ${RULE_COLUMNS} FROM stage_rule r LEFT JOIN manager m ON m.id = r.manager_id WHERE r.id = $1`, [ruleId]);
    if (!row) throw DomainError.notFound('stage rule');
    return toRuleView(row);
  }

  private async assertStage(em: EntityManager, stageId: string): Promise<void> {
    const stage = await queryRow<{ id: string }>(em, `SELECT id FROM stage WHERE id = $1`, [stageId]);
    if (!stage) throw DomainError.notFound('stage');
  }

  private async validate(
    merged: { title?: string; assignTo: StageRuleTarget; managerId: string | null; dueIn?: number; dueUnit?: StageRuleDueUnit; active: boolean },
    input: StageRuleInput,
  ): Promise<{ title: string; assignTo: StageRuleTarget; managerId: string | null; dueIn: number; dueUnit: StageRuleDueUnit; active: boolean }> {
    const fields: Record<string, string> = {};
    const title = (merged.title ?? '').trim();
    if (!title) fields.title = 'must not be empty';
    const dueIn = merged.dueIn ?? 0;
    const dueUnit = merged.dueUnit ?? 'minutes';
    if (dueMinutes(dueIn, dueUnit) > MAX_DUE_MINUTES) fields.dueIn = `at most ${MAX_DUE_MINUTES} minutes (${MAX_DUE_MINUTES / 60} hours) of business time`;
    let managerId: string | null = merged.managerId;
    if (merged.assignTo === 'manager') {
      if (!managerId) fields.managerId = 'required when assignTo is manager';
      else {
        const m = await queryRow<{ active: boolean }>(this.db, `SELECT active FROM manager WHERE id = $1`, [managerId]);
        if (!m) fields.managerId = 'no such manager';
        else if (!m.active && input.managerId !== undefined) fields.managerId = 'this manager is deactivated';
      }
    } else if (input.managerId) {
      fields.managerId = 'only with assignTo manager';
    } else {
      managerId = null;
    }
    if (Object.keys(fields).length) throw DomainError.invalid('invalid stage rule', fields);
    return { title, assignTo: merged.assignTo, managerId, dueIn, dueUnit, active: merged.active };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toRuleView(r: StageRuleRow): StageRuleView {
  return {
    id: r.id,
    stageId: r.stage_id,
    title: r.title,
    assignTo: r.assign_to,
    managerId: r.manager_id,
    managerName: r.manager_name ?? null,
    dueIn: r.due_in,
    dueUnit: r.due_unit,
    active: r.active,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
