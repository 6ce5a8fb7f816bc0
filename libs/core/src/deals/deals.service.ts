import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { AssignmentService } from '../assignment/assignment.service';
import { Clock } from '../core-options';
import { DomainError } from '../errors/domain-error';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import { TimelineService } from '../timeline/timeline.service';
import { isClosedStage, isDealStage, type DealStage } from './pipeline';

export interface DealView {
  id: string;
  contactId: string;
  contactName: string | null;
  ownerId: string | null;
  title: string | null;
  stage: string;
  sourceChannel: string;
  source: Record<string, unknown>;
  amount: string | null;
  lostReason: string | null;
  firstResponseAt: string | null;
  closedAt: string | null;
  createdAt: string;
}

const DEAL_COLUMNS = `d.id, d.contact_id, c.name AS contact_name, d.owner_id, d.title, d.stage, d.source_channel, d.source, d.amount,
  d.lost_reason, d.first_response_at, d.closed_at, d.created_at`;

@Injectable()
export class DealsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly timeline: TimelineService,
    private readonly assignment: AssignmentService,
    private readonly clock: Clock,
  ) {}

  async list(viewer: Viewer, q: { stage?: string; ownerId?: string; status?: 'open' | 'closed'; cursor?: string; limit?: number }): Promise<Page<DealView>> {
    const limit = clampLimit(q.limit);
    const params: unknown[] = [];
    const where: string[] = [];
    if (!isAdmin(viewer)) {
      params.push(viewer.id);
      where.push(`d.owner_id = $${params.length}`);
    } else if (q.ownerId) {
      params.push(q.ownerId);
      where.push(`d.owner_id = $${params.length}`);
    }
    if (q.stage) {
      if (!isDealStage(q.stage)) throw DomainError.invalid('unknown stage', { stage: `not one of the pipeline stages` });
      params.push(q.stage);
      where.push(`d.stage = $${params.length}`);
    }
    if (q.status === 'open') where.push('d.closed_at IS NULL');
    if (q.status === 'closed') where.push('d.closed_at IS NOT NULL');
    const cursor = decodeCursor(q.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = await this.db.query(
      `SELECT ${DEAL_COLUMNS} FROM deal d JOIN contact c ON c.id = d.contact_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.created_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items: rows.slice(0, limit).map(toDealView), nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** Open deals nobody owns, oldest first: any manager may take one. */
  async queue(limit?: number): Promise<DealView[]> {
    const rows = await this.db.query(
      `SELECT ${DEAL_COLUMNS} FROM deal d JOIN contact c ON c.id = d.contact_id
        WHERE d.owner_id IS NULL AND d.closed_at IS NULL ORDER BY d.created_at LIMIT $1`,
      [clampLimit(limit, 200, 100)],
    );
    return rows.map(toDealView);
  }

  async get(viewer: Viewer, id: string): Promise<DealView> {
    const params: unknown[] = [id];
    let scope = '';
    if (!isAdmin(viewer)) {
      params.push(viewer.id);
      scope = ' AND d.owner_id = $2';
    }
    const [row] = await this.db.query(`SELECT ${DEAL_COLUMNS} FROM deal d JOIN contact c ON c.id = d.contact_id WHERE d.id = $1${scope}`, params);
    if (!row) throw DomainError.notFound('deal');
    return toDealView(row);
  }

  async take(viewer: Viewer, dealId: string): Promise<DealView> {
    const outcome = await this.assignment.takeFromQueue(dealId, viewer);
    if (outcome === 'not_found') throw DomainError.notFound('deal');
    if (outcome === 'already_taken') throw DomainError.conflict('this deal was already taken by another manager');
    return this.get(viewer, dealId);
  }

  /** Moves a deal along the pipeline. Closing it (won/lost) cancels its open tasks. */
  async changeStage(viewer: Viewer, dealId: string, stage: string, lostReason?: string | null): Promise<DealView> {
    if (!isDealStage(stage)) throw DomainError.invalid('unknown stage', { stage: 'not one of the pipeline stages' });
    if (stage === 'lost' && !lostReason?.trim()) throw DomainError.invalid('a lost deal needs a reason', { lostReason: 'required when stage is lost' });
    await this.db.transaction(async (em) => {
      const params: unknown[] = [dealId];
      const scope = isAdmin(viewer) ? '' : ' AND owner_id = $2';
      if (!isAdmin(viewer)) params.push(viewer.id);
      const [deal] = await em.query(`SELECT id, contact_id, stage FROM deal WHERE id = $1${scope} FOR UPDATE`, params);
      if (!deal) throw DomainError.notFound('deal');
      if (deal.stage === stage) return;
      const now = this.clock.now();
      const closing = isClosedStage(stage);
      await em.query(
        `UPDATE deal SET stage = $2, lost_reason = $3, closed_at = $4, updated_at = now() WHERE id = $1`,
        [dealId, stage as DealStage, stage === 'lost' ? lostReason!.trim() : null, closing ? now : null],
      );
      await this.timeline.record(em, {
        contactId: deal.contact_id,
        dealId,
        kind: 'stage_changed',
        actorId: viewer.id,
        occurredAt: now,
        payload: { from: deal.stage, to: stage, ...(stage === 'lost' ? { lostReason: lostReason!.trim() } : {}) },
      });
      if (closing) {
        const cancelled: Array<{ id: string }> = await em.query(
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
            payload: { text: `${cancelled.length} open task(s) cancelled: deal ${stage}`, taskIds: cancelled.map((t) => t.id) },
          });
        }
      }
    });
    return this.get(viewer, dealId);
  }
}

export function toDealView(r: any): DealView {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: r.id,
    contactId: r.contact_id,
    contactName: r.contact_name ?? null,
    ownerId: r.owner_id,
    title: r.title,
    stage: r.stage,
    sourceChannel: r.source_channel,
    source: r.source,
    amount: r.amount,
    lostReason: r.lost_reason,
    firstResponseAt: iso(r.first_response_at),
    closedAt: iso(r.closed_at),
    createdAt: iso(r.created_at)!,
  };
}
