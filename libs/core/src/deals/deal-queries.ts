import { queryRows, type Queryable } from '../database/query-rows';
import type { DealView } from './deals.service';

/**
 * The deals query module: the row shapes of the `deal` table as the deal services read them, and the
 * SELECT list every deal view is built from (one place, so a view never misses a column).
 */

/** A deal row as DEAL_COLUMNS reads it (timestamps as Date or text). */
export interface DealRow {
  id: string;
  contact_id: string;
  contact_name?: string | null;
  owner_id: string | null;
  title: string | null;
  stage: string;
  stage_id: string;
  stage_name: string;
  pipeline_id: string;
  source_channel: string;
  source: Record<string, unknown>;
  amount: string | null;
  currency?: string | null;
  lost_reason: string | null;
  first_response_at: Date | string | null;
  closed_at: Date | string | null;
  created_at: Date | string;
}

export const DEAL_COLUMNS = `d.id, d.contact_id, c.name AS contact_name, d.owner_id, d.title, d.stage, d.stage_id, s.name AS stage_name, d.pipeline_id,
  d.source_channel, d.source, d.amount, d.currency, d.lost_reason, d.first_response_at, d.closed_at, d.created_at`;
export const DEAL_FROM = `deal d JOIN contact c ON c.id = d.contact_id JOIN stage s ON s.id = d.stage_id`;

/** A deal locked for a stage move, with what the timeline entry and the stage rules need. */
export interface DealForMoveRow {
  id: string;
  contact_id: string;
  owner_id: string | null;
  pipeline_id: string;
  stage_id: string;
  closed_at: Date | string | null;
  stage_key: string;
  stage_name: string;
  pipeline_name: string;
}

/** A deal locked for an amount change. */
export interface DealAmountRow {
  id: string;
  contact_id: string;
  amount: string | null;
  currency: string | null;
}

/** A stage as a move resolves it (id and pipeline only; the rest comes from StageAutomation). */
export interface StageRefRow {
  id: string;
  pipeline_id: string;
}

export function toDealView(r: DealRow): DealView {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: r.id,
    contactId: r.contact_id,
    contactName: r.contact_name ?? null,
    ownerId: r.owner_id,
    title: r.title,
    stage: r.stage,
    stageId: r.stage_id,
    stageName: r.stage_name,
    pipelineId: r.pipeline_id,
    sourceChannel: r.source_channel,
    source: r.source,
    amount: r.amount,
    currency: r.currency ?? null,
    lostReason: r.lost_reason,
    firstResponseAt: iso(r.first_response_at),
    closedAt: iso(r.closed_at),
    createdAt: iso(r.created_at)!,
  };
}

/** Deal rows for views: `where` is a whole clause (see whereClause), `tail` the ORDER BY / LIMIT. */
export function selectDeals(db: Queryable, where: string, params: readonly unknown[], tail = ''): Promise<DealRow[]> {
  return queryRows<DealRow>(db, `SELECT ${DEAL_COLUMNS} FROM ${DEAL_FROM} ${where} ${tail}`, params);
}
