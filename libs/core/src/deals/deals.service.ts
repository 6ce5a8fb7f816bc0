import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { AssignmentService } from '../assignment/assignment.service';
import { Clock } from '../core-options';
import { execute, mutateRows, queryRow } from '../database/query-rows';
import { SqlParams, whereClause } from '../database/sql-params';
import { DomainError } from '../errors/domain-error';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import { StageAutomation, type EnteredStage } from '../pipelines/stage-automation';
import { TimelineService } from '../timeline/timeline.service';
import { selectDeals, toDealView, type DealAmountRow, type DealForMoveRow, type StageRefRow } from './deal-queries';
import { isClosingKind } from './pipeline';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export type DealView = Wire.Deal;

/** Where a deal should go: a stage key (within the deal's pipeline or `pipelineId`), a stage id, or just another pipeline (its first stage). */
export interface StageTarget {
  stage?: string;
  stageId?: string;
  pipelineId?: string;
}

@Injectable()
export class DealsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly assignment: AssignmentService,
    private readonly clock: Clock,
    private readonly automation: StageAutomation,
  ) {}

  async list(
    viewer: Viewer,
    q: { stage?: string; stageId?: string; pipelineId?: string; ownerId?: string; status?: 'open' | 'closed'; cursor?: string; limit?: number },
  ): Promise<Page<DealView>> {
    const limit = clampLimit(q.limit);
    const params = new SqlParams();
    const where: string[] = [];
    const ownerId = isAdmin(viewer) ? q.ownerId : viewer.id;
    if (ownerId) where.push(`d.owner_id = ${params.add(ownerId)}`);
    if (q.stage) {
      if (!(await this.stageKeyExists(q.stage))) throw DomainError.invalid('unknown stage', { stage: 'no pipeline has a stage with this key' });
      where.push(`d.stage = ${params.add(q.stage)}`);
    }
    if (q.stageId) where.push(`d.stage_id = ${params.add(q.stageId)}`);
    if (q.pipelineId) where.push(`d.pipeline_id = ${params.add(q.pipelineId)}`);
    if (q.status === 'open') where.push('d.closed_at IS NULL');
    if (q.status === 'closed') where.push('d.closed_at IS NOT NULL');
    const cursor = decodeCursor(q.cursor);
    if (cursor) where.push(`(d.created_at, d.id) < (${params.add(cursor.at)}::timestamptz, ${params.add(cursor.id)}::uuid)`);
    const rows = await selectDeals(this.db, whereClause(where), params.values, `ORDER BY d.created_at DESC, d.id DESC LIMIT ${params.add(limit + 1)}`);
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items: rows.slice(0, limit).map(toDealView), nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** Open deals nobody owns, oldest first: any manager may take one. */
  async queue(limit?: number): Promise<DealView[]> {
    const rows = await selectDeals(this.db, 'WHERE d.owner_id IS NULL AND d.closed_at IS NULL', [clampLimit(limit, 200, 100)], 'ORDER BY d.created_at LIMIT $1');
    return rows.map(toDealView);
  }

  async get(viewer: Viewer, id: string): Promise<DealView> {
    const params: unknown[] = [id];
    let scope = '';
    if (!isAdmin(viewer)) {
      params.push(viewer.id);
      scope = ' AND d.owner_id = $2';
    }
    const [row] = await selectDeals(this.db, `WHERE d.id = $1${scope}`, params);
    if (!row) throw DomainError.notFound('deal');
    return toDealView(row);
  }

  /**
   * Sets what the deal is worth (`amount` null: unknown) in `currency` (ISO 4217; null keeps the hub's
   * default). One `deal_updated` timeline entry per change, with the old and new figures.
   */
  async setAmount(viewer: Viewer, dealId: string, input: string | null, currency: string | null): Promise<DealView> {
    // numeric(14, 2) keeps two places: the timeline shows the figure as stored ("1500.5" → "1500.50").
    const amount = input === null ? null : Number(input).toFixed(2);
    await this.db.transaction(async (em) => {
      const params: unknown[] = [dealId];
      const scope = isAdmin(viewer) ? '' : ' AND owner_id = $2';
      if (!isAdmin(viewer)) params.push(viewer.id);
      const deal = await queryRow<DealAmountRow>(em, `SELECT id, contact_id, amount, currency FROM deal WHERE id = $1${scope} FOR UPDATE`, params);
      if (!deal) throw DomainError.notFound('deal');
      const same = (deal.amount === null ? null : Number(deal.amount)) === (amount === null ? null : Number(amount)) && (deal.currency ?? null) === currency;
      if (same) return;
      await execute(em, `UPDATE deal SET amount = $2, currency = $3, updated_at = now() WHERE id = $1`, [dealId, amount, currency]);
      await this.timeline.record(em, {
        contactId: deal.contact_id,
        dealId,
        kind: 'deal_updated',
        actorId: viewer.id,
        occurredAt: this.clock.now(),
        payload: { code: 'amount_changed', params: { from: deal.amount, fromCurrency: deal.currency ?? null, to: amount, toCurrency: currency } },
      });
    });
    return this.get(viewer, dealId);
  }

  async take(viewer: Viewer, dealId: string): Promise<DealView> {
    const outcome = await this.assignment.takeFromQueue(dealId, viewer);
    if (outcome === 'not_found') throw DomainError.notFound('deal');
    if (outcome === 'already_taken') throw DomainError.conflict('this deal was already taken by another manager');
    return this.get(viewer, dealId);
  }

  /**
   * Moves a deal to another stage of its pipeline or into another pipeline. Won/lost close it (lost
   * needs a reason) and cancel its open tasks; the open tasks the old stage's rules made are cancelled
   * (their SLA clocks stop); the new stage's rules create theirs. One stage_changed activity per move.
   */
  async changeStage(viewer: Viewer, dealId: string, target: StageTarget | string, lostReason?: string | null, options: { reopen?: boolean } = {}): Promise<DealView> {
    const to: StageTarget = typeof target === 'string' ? { stage: target } : target;
    if (!to.stage && !to.stageId && !to.pipelineId) throw DomainError.invalid('where to?', { stage: 'give stage (a key), stageId or pipelineId' });
    // An unknown key is bad input whatever the deal: answered before looking the deal up.
    if (to.stage) {
      if (!(await this.stageKeyExists(to.stage))) throw DomainError.invalid('unknown stage', { stage: 'no pipeline has a stage with this key' });
    }
    await this.db.transaction(async (em) => {
      const params: unknown[] = [dealId];
      const scope = isAdmin(viewer) ? '' : ' AND d.owner_id = $2';
      if (!isAdmin(viewer)) params.push(viewer.id);
      const deal = await queryRow<DealForMoveRow>(
        em,
        `SELECT d.id, d.contact_id, d.owner_id, d.pipeline_id, d.stage_id, d.closed_at, s.key AS stage_key, s.name AS stage_name, p.name AS pipeline_name
           FROM deal d JOIN stage s ON s.id = d.stage_id JOIN pipeline p ON p.id = d.pipeline_id
          WHERE d.id = $1${scope} FOR UPDATE OF d`,
        params,
      );
      if (!deal) throw DomainError.notFound('deal');
      const stage = await this.resolveTarget(em, deal, to);
      if (stage.kind === 'lost' && !lostReason?.trim()) throw DomainError.invalid('a lost deal needs a reason', { lostReason: 'required when stage is lost' });
      if (stage.id === deal.stage_id) return;
      const closing = isClosingKind(stage.kind);
      // Won and lost are decisions: undoing one by a stray drag would silently restart a finished deal.
      const reopening = deal.closed_at !== null && !closing;
      if (reopening && !options.reopen) throw DomainError.conflict('the deal is closed: reopening it needs a confirmation (send reopen: true)');
      const now = this.clock.now();
      const reason = stage.kind === 'lost' ? lostReason!.trim() : null;
      await execute(em, 
        `UPDATE deal SET pipeline_id = $2, stage_id = $3, stage = $4, lost_reason = $5, closed_at = $6, updated_at = now() WHERE id = $1`,
        [dealId, stage.pipelineId, stage.id, stage.key, reason, closing ? now : null],
      );
      const movedPipeline = stage.pipelineId !== deal.pipeline_id;
      await this.timeline.record(em, {
        contactId: deal.contact_id,
        dealId,
        kind: 'stage_changed',
        actorId: viewer.id,
        occurredAt: now,
        payload: {
          from: deal.stage_key,
          to: stage.key,
          ...(reason ? { lostReason: reason } : {}),
          ...(reopening ? { reopened: true } : {}),
          ...(movedPipeline ? { fromPipelineId: deal.pipeline_id, fromPipeline: deal.pipeline_name, toPipelineId: stage.pipelineId, toPipeline: stage.pipelineName } : {}),
        },
      });
      const ref = { id: dealId, contactId: deal.contact_id, ownerId: deal.owner_id };
      await this.automation.leave(em, ref, { id: deal.stage_id, key: deal.stage_key, name: deal.stage_name }, stage, now, viewer.id);
      if (closing) {
        const cancelled = await mutateRows<{ id: string }>(
          em,
          `UPDATE task SET status = 'cancelled', completed_at = $2, completed_by_id = $3 WHERE deal_id = $1 AND status = 'open' RETURNING id`,
          [dealId, now, viewer.id],
        );
        if (cancelled.length) {
          await this.timeline.record(em, {
            contactId: deal.contact_id,
            dealId,
            kind: 'note',
            actorId: viewer.id,
            occurredAt: now,
            // code + params: the UI writes it in the reader's language; text stays for old clients and the API.
            payload: {
              text: `${cancelled.length} open task(s) cancelled: deal ${stage.kind}`,
              code: 'tasks_cancelled_closed',
              params: { count: cancelled.length, outcome: stage.kind },
              taskIds: cancelled.map((t) => t.id),
            },
          });
        }
      }
      await this.automation.enter(em, ref, stage, now, viewer.id);
    });
    return this.get(viewer, dealId);
  }

  /** Whether any pipeline has a stage with this key (an unknown key is bad input, answered 400). */
  private async stageKeyExists(key: string): Promise<boolean> {
    return (await queryRow<{ id: string }>(this.db, `SELECT id FROM stage WHERE key = $1 LIMIT 1`, [key])) !== null;
  }

  /**
   * The stage a move goes to (locked FOR KEY SHARE so it cannot be deleted under the move). A stage id
   * or key must belong to the target pipeline: the deal's own unless `pipelineId` names another.
   */
  private async resolveTarget(
    em: EntityManager,
    deal: { pipeline_id: string },
    to: StageTarget,
  ): Promise<EnteredStage & { pipelineName: string }> {
    let pipelineId: string = deal.pipeline_id;
    if (to.pipelineId) {
      // KEY SHARE: the pipeline cannot be deleted under the move.
      const p = await queryRow<{ id: string }>(em, `SELECT id FROM pipeline WHERE id = $1 FOR KEY SHARE`, [to.pipelineId]);
      if (!p) throw DomainError.invalid('unknown pipeline', { pipelineId: 'no such pipeline' });
      pipelineId = p.id;
    }
    let row: StageRefRow | null;
    if (to.stageId) {
      row = await queryRow<StageRefRow>(em, `SELECT id, pipeline_id FROM stage WHERE id = $1 FOR KEY SHARE`, [to.stageId]);
      if (!row) throw DomainError.invalid('unknown stage', { stageId: 'no such stage' });
      if (row.pipeline_id !== pipelineId) {
        throw DomainError.invalid('stage of another pipeline', {
          stageId: to.pipelineId ? 'belongs to another pipeline than pipelineId' : 'belongs to another pipeline; give pipelineId to move the deal there',
        });
      }
      if (to.stage) {
        const same = await queryRow<{ id: string }>(em, `SELECT id FROM stage WHERE id = $1 AND key = $2`, [row.id, to.stage]);
        if (!same) throw DomainError.invalid('stage and stageId disagree', { stage: 'is not the key of stageId' });
      }
    } else if (to.stage) {
      row = await queryRow<StageRefRow>(em, `SELECT id, pipeline_id FROM stage WHERE pipeline_id = $1 AND key = $2 FOR KEY SHARE`, [pipelineId, to.stage]);
      if (!row) throw DomainError.invalid('unknown stage', { stage: `the deal's pipeline has no stage "${to.stage}"` });
    } else {
      row = await queryRow<StageRefRow>(em, `SELECT id, pipeline_id FROM stage WHERE pipeline_id = $1 AND kind = 'open' ORDER BY position LIMIT 1 FOR KEY SHARE`, [pipelineId]);
      if (!row) throw DomainError.invalid('pipeline has no open stage', { pipelineId: 'has no open stage' });
    }
    const stage = await this.automation.stage(em, row.id);
    const p = await queryRow<{ name: string }>(em, `SELECT name FROM pipeline WHERE id = $1`, [stage!.pipelineId]);
    return { ...stage!, pipelineName: p!.name };
  }
}
