import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { STAGE_KEY_PATTERN, STAGE_KINDS, type StageKind } from '../deals/pipeline';
import { execute, mutateRows, queryRow, queryRows } from '../database/query-rows';
import { DomainError } from '../errors/domain-error';
import { StageAutomation } from './stage-automation';
import { StageRulesService, type StageRuleView } from './stage-rules.service';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export type StageView = Wire.Stage;

export type PipelineView = Wire.Pipeline;

export interface NewStage {
  name: string;
  key?: string;
  kind?: StageKind;
}

/** The stages a new pipeline starts with when none are given (the default pipeline's, same keys). */
const STANDARD_STAGES: Array<Required<NewStage>> = [
  { key: 'new', name: 'New', kind: 'open' },
  { key: 'first_contact', name: 'First contact', kind: 'open' },
  { key: 'qualified', name: 'Qualified', kind: 'open' },
  { key: 'proposal', name: 'Proposal', kind: 'open' },
  { key: 'won', name: 'Won', kind: 'won' },
  { key: 'lost', name: 'Lost', kind: 'lost' },
];

/**
 * Pipelines and their stages as data. Every pipeline keeps at least one open, one won and one lost
 * stage (deals enter the first open stage; won/lost close them), exactly one pipeline is the default
 * (where new leads land), and a stage holding deals cannot be deleted. Edits to one pipeline's stages
 * are serialised by locking its row.
 */
@Injectable()
export class PipelinesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly rules: StageRulesService,
    private readonly automation: StageAutomation,
  ) {}

  /** Runs a change in a transaction; afterwards new leads look the entry stage up again. */
  private async change<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(work);
    } finally {
      this.automation.forgetEntryStage();
    }
  }

  async list(): Promise<PipelineView[]> {
    return this.load(this.db.manager, null);
  }

  async get(id: string): Promise<PipelineView> {
    const [p] = await this.load(this.db.manager, id);
    if (!p) throw DomainError.notFound('pipeline');
    return p;
  }

  async create(input: { name: string; isDefault?: boolean; stages?: NewStage[] }): Promise<PipelineView> {
    const name = requireName(input.name, 'name');
    const stages = input.stages ? this.validateStageSet(input.stages) : STANDARD_STAGES;
    const id = await this.change(async (em) => {
      await this.assertNameFree(em, name, null);
      const [row] = await queryRows<{ id: string }>(em, `INSERT INTO pipeline (name) VALUES ($1) RETURNING id`, [name]).catch(rethrowDuplicateName);
      for (const [i, s] of stages.entries()) {
        await execute(em, `INSERT INTO stage (pipeline_id, key, name, position, kind) VALUES ($1, $2, $3, $4, $5)`, [row.id, s.key, s.name, i, s.kind]);
      }
      if (input.isDefault) await this.makeDefault(em, row.id);
      return row.id;
    });
    return this.get(id);
  }

  async update(id: string, input: { name?: string; isDefault?: boolean }): Promise<PipelineView> {
    await this.change(async (em) => {
      const pipeline = await this.lockPipeline(em, id);
      if (input.name !== undefined) {
        const name = requireName(input.name, 'name');
        await this.assertNameFree(em, name, id);
        await execute(em, `UPDATE pipeline SET name = $2, updated_at = now() WHERE id = $1`, [id, name]).catch(rethrowDuplicateName);
      }
      if (input.isDefault === false && pipeline.is_default) {
        throw DomainError.invalid('there is always a default pipeline', { isDefault: 'make another pipeline the default instead' });
      }
      if (input.isDefault) await this.makeDefault(em, id);
    });
    return this.get(id);
  }

  /** Deletes a pipeline without deals that is not the default. */
  async remove(id: string): Promise<void> {
    await this.change(async (em) => {
      const pipeline = await this.lockPipeline(em, id, 'UPDATE');
      if (pipeline.is_default) throw DomainError.conflict('the default pipeline cannot be deleted; make another pipeline the default first');
      const [{ n }] = await queryRows<{ n: number }>(em, `SELECT count(*)::int AS n FROM deal WHERE pipeline_id = $1`, [id]);
      if (n > 0) throw DomainError.conflict(`pipeline "${pipeline.name}" has ${dealsWord(n)}; move them to another pipeline first`);
      await execute(em, `DELETE FROM pipeline WHERE id = $1`, [id]);
    });
  }

  async addStage(pipelineId: string, input: NewStage & { position?: number }): Promise<StageView> {
    const name = requireName(input.name, 'name');
    const kind = input.kind ?? 'open';
    const stageId = await this.change(async (em) => {
      await this.lockPipeline(em, pipelineId);
      const existing = await queryRows<{ id: string; key: string; kind: StageKind; position: number }>(
        em,
        `SELECT id, key, kind, position FROM stage WHERE pipeline_id = $1 ORDER BY position, created_at`,
        [pipelineId],
      );
      const keys = new Set(existing.map((s) => s.key));
      let key: string;
      if (input.key !== undefined) {
        key = input.key;
        if (!STAGE_KEY_PATTERN.test(key)) throw DomainError.invalid('invalid stage key', { key: 'lowercase letters, digits and _, starting with a letter (at most 40)' });
        if (keys.has(key)) throw DomainError.conflict(`this pipeline already has a stage with key "${key}"`);
      } else {
        key = uniqueKey(slugKey(name), keys);
      }
      // Default place: an open stage goes before the first closing stage, won/lost at the end.
      const firstClosing = existing.findIndex((s) => s.kind !== 'open');
      const fallback = kind === 'open' && firstClosing >= 0 ? firstClosing : existing.length;
      const position = Math.min(input.position ?? fallback, existing.length);
      const order = existing.map((s) => s.id);
      const [row] = await queryRows<{ id: string }>(
        em,
        `INSERT INTO stage (pipeline_id, key, name, position, kind) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [pipelineId, key, name, position, kind],
      );
      order.splice(position, 0, row.id);
      await this.writeOrder(em, order);
      return row.id;
    });
    return this.getStage(stageId);
  }

  async getStage(stageId: string): Promise<StageView> {
    const row = await queryRow<{ pipeline_id: string }>(this.db, `SELECT pipeline_id FROM stage WHERE id = $1`, [stageId]);
    if (!row) throw DomainError.notFound('stage');
    const pipeline = await this.get(row.pipeline_id);
    return pipeline.stages.find((s) => s.id === stageId)!;
  }

  async renameStage(stageId: string, input: { name?: string }): Promise<StageView> {
    if (input.name !== undefined) {
      const name = requireName(input.name, 'name');
      const updated = await mutateRows<{ id: string }>(this.db, `UPDATE stage SET name = $2, updated_at = now() WHERE id = $1 RETURNING id`, [stageId, name]);
      if (updated.length === 0) throw DomainError.notFound('stage');
      this.automation.forgetEntryStage();
    }
    return this.getStage(stageId);
  }

  /** `stageIds` must list every stage of the pipeline exactly once, in the new order. */
  async reorderStages(pipelineId: string, stageIds: string[]): Promise<PipelineView> {
    await this.change(async (em) => {
      await this.lockPipeline(em, pipelineId);
      const rows = await queryRows<{ id: string }>(em, `SELECT id FROM stage WHERE pipeline_id = $1`, [pipelineId]);
      const current = new Set(rows.map((r) => r.id));
      const given = new Set(stageIds);
      if (given.size !== stageIds.length) throw DomainError.invalid('invalid stage order', { stageIds: 'lists a stage twice' });
      const unknown = stageIds.filter((id) => !current.has(id));
      if (unknown.length) throw DomainError.invalid('invalid stage order', { stageIds: `not stages of this pipeline: ${unknown.join(', ')}` });
      const missing = [...current].filter((id) => !given.has(id));
      if (missing.length) throw DomainError.invalid('invalid stage order', { stageIds: `must list every stage of the pipeline; missing: ${missing.join(', ')}` });
      await this.writeOrder(em, stageIds);
    });
    return this.get(pipelineId);
  }

  /** Deletes a stage no deal is in (409 naming how many are), keeping one open, won and lost stage. */
  async removeStage(stageId: string): Promise<void> {
    await this.change(async (em) => {
      const stage = await queryRow<{ id: string; pipeline_id: string; name: string; kind: StageKind }>(em, `SELECT id, pipeline_id, name, kind FROM stage WHERE id = $1`, [stageId]);
      if (!stage) throw DomainError.notFound('stage');
      await this.lockPipeline(em, stage.pipeline_id);
      // Locks the stage against deals moving in meanwhile (a move takes FOR KEY SHARE on it).
      const locked = await queryRow<{ id: string }>(em, `SELECT id FROM stage WHERE id = $1 FOR UPDATE`, [stageId]);
      if (!locked) throw DomainError.notFound('stage');
      const [{ n }] = await queryRows<{ n: number }>(em, `SELECT count(*)::int AS n FROM deal WHERE stage_id = $1`, [stageId]);
      if (n > 0) throw DomainError.conflict(`stage "${stage.name}" has ${dealsWord(n)}; move them to another stage first`);
      const [{ same }] = await queryRows<{ same: number }>(em, `SELECT count(*)::int AS same FROM stage WHERE pipeline_id = $1 AND kind = $2`, [stage.pipeline_id, stage.kind]);
      if (same <= 1) throw DomainError.conflict(`a pipeline needs at least one ${stage.kind} stage; this is its last one`);
      await execute(em, `DELETE FROM stage WHERE id = $1`, [stageId]);
      const rest = await queryRows<{ id: string }>(em, `SELECT id FROM stage WHERE pipeline_id = $1 ORDER BY position, created_at`, [stage.pipeline_id]);
      await this.writeOrder(em, rest.map((r) => r.id));
    });
  }

  private async load(em: EntityManager, id: string | null): Promise<PipelineView[]> {
    const pipelines = await queryRows<{ id: string; name: string; is_default: boolean; created_at: Date | string }>(
      em,
      `SELECT id, name, is_default, created_at FROM pipeline ${id ? 'WHERE id = $1' : ''} ORDER BY is_default DESC, created_at, id`,
      id ? [id] : [],
    );
    if (pipelines.length === 0) return [];
    const ids = pipelines.map((p) => p.id);
    const stages = await queryRows<{ id: string; pipeline_id: string; key: string; name: string; position: number; kind: StageKind; deals: number }>(
      em,
      `SELECT s.id, s.pipeline_id, s.key, s.name, s.position, s.kind,
              (SELECT count(*)::int FROM deal d WHERE d.stage_id = s.id) AS deals
         FROM stage s WHERE s.pipeline_id = ANY($1::uuid[]) ORDER BY s.position, s.created_at`,
      [ids],
    );
    const rules = await this.rules.listForStages(em, stages.map((s) => s.id));
    return pipelines.map((p) => ({
      id: p.id,
      name: p.name,
      isDefault: p.is_default,
      createdAt: new Date(p.created_at).toISOString(),
      stages: stages
        .filter((s) => s.pipeline_id === p.id)
        .map((s) => ({ id: s.id, pipelineId: s.pipeline_id, key: s.key, name: s.name, position: s.position, kind: s.kind, deals: s.deals, rules: rules.get(s.id) ?? [] })),
    }));
  }

  /**
   * Serialises changes to one pipeline. NO KEY UPDATE by default: it does not conflict with the
   * KEY SHARE locks deal moves take (their foreign key checks), so a move and a stage edit cannot
   * deadlock; deleting the pipeline itself takes the full row lock.
   */
  private async lockPipeline(em: EntityManager, id: string, mode: 'NO KEY UPDATE' | 'UPDATE' = 'NO KEY UPDATE'): Promise<{ id: string; name: string; is_default: boolean }> {
    const row = await queryRow<{ id: string; name: string; is_default: boolean }>(em, `SELECT id, name, is_default FROM pipeline WHERE id = $1 FOR ${mode}`, [id]);
    if (!row) throw DomainError.notFound('pipeline');
    return row;
  }

  /** The old default is unset first: the partial unique index allows one default at any moment. */
  private async makeDefault(em: EntityManager, id: string): Promise<void> {
    await execute(em, `SELECT id FROM pipeline WHERE is_default OR id = $1 ORDER BY id FOR NO KEY UPDATE`, [id]);
    await execute(em, `UPDATE pipeline SET is_default = false, updated_at = now() WHERE is_default AND id <> $1`, [id]);
    await execute(em, `UPDATE pipeline SET is_default = true, updated_at = now() WHERE id = $1`, [id]);
  }

  private async writeOrder(em: EntityManager, ids: string[]): Promise<void> {
    await execute(
      em,
      `UPDATE stage SET position = o.pos - 1, updated_at = now() FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, pos)
        WHERE stage.id = o.id AND stage.position <> o.pos - 1`,
      [ids],
    );
  }

  private async assertNameFree(em: EntityManager, name: string, except: string | null): Promise<void> {
    const other = await queryRow<{ id: string }>(em, `SELECT id FROM pipeline WHERE lower(name) = lower($1) AND ($2::uuid IS NULL OR id <> $2)`, [name, except]);
    if (other) throw DomainError.conflict(`a pipeline named "${name}" already exists`);
  }

  private validateStageSet(stages: NewStage[]): Array<Required<NewStage>> {
    const out: Array<Required<NewStage>> = [];
    const keys = new Set<string>();
    const fields: Record<string, string> = {};
    stages.forEach((s, i) => {
      const name = s.name?.trim();
      if (!name) fields[`stages.${i}.name`] = 'must not be empty';
      let key = s.key;
      if (key !== undefined) {
        if (!STAGE_KEY_PATTERN.test(key)) fields[`stages.${i}.key`] = 'lowercase letters, digits and _, starting with a letter (at most 40)';
        else if (keys.has(key)) fields[`stages.${i}.key`] = `"${key}" is used twice`;
      } else {
        key = uniqueKey(slugKey(name ?? ''), keys);
      }
      keys.add(key);
      out.push({ name: name ?? '', key, kind: s.kind ?? 'open' });
    });
    const missing = STAGE_KINDS.filter((k) => !out.some((s) => s.kind === k));
    if (missing.length) fields.stages = `needs at least one stage of each kind; missing: ${missing.join(', ')}`;
    if (Object.keys(fields).length) throw DomainError.invalid('invalid stages', fields);
    return out;
  }
}

function requireName(value: string, field: string): string {
  const name = value.trim();
  if (!name) throw DomainError.invalid(`${field} must not be empty`, { [field]: 'must not be empty' });
  return name;
}

function dealsWord(n: number): string {
  return n === 1 ? '1 deal' : `${n} deals`;
}

/** "First contact" → first_contact; names in other scripts fall back to "stage". */
export function slugKey(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[_0-9]+|_+$/g, '')
    .slice(0, 32)
    .replace(/_+$/, '');
  return slug || 'stage';
}

function uniqueKey(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

function rethrowDuplicateName(err: unknown): never {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  if ((e?.code ?? e?.driverError?.code) === '23505') throw DomainError.conflict('a pipeline with this name already exists');
  throw err;
}
