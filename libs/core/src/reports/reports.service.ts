import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, type Viewer } from '../access/viewer';
import { execute, queryRows } from '../database/query-rows';
import { CORE_OPTIONS, Clock, type CoreOptions } from '../core-options';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { clampLimit, decodeCursor, encodeCursor, type Page } from '../pagination/cursor';
import { resolvePeriod, type ReportPeriod } from './report-period';
// The wire shape is defined once, in libs/contracts: the view this service returns is that type.
import type * as Wire from '@leadline/contracts';

export interface ReportQuery {
  from?: string;
  to?: string;
  ownerId?: string;
  /** Deal source channel (web_form, email, telegram, phone, import…). */
  channel?: string;
  utmSource?: string;
  utmCampaign?: string;
  /** Deals of one pipeline; the funnel always shows one pipeline (default: the default pipeline). */
  pipelineId?: string;
}

export type ReportHeader = Wire.ReportHeader;

export type FunnelStep = Wire.FunnelStep;

export type FunnelReport = Wire.FunnelReport;

export type SourceRow = Wire.SourceRow;
export type LeadSourcesReport = Wire.LeadSourcesReport;

export type ManagerRow = Wire.ManagerReportRow;
export type ManagersReport = Wire.ManagersReport;

export type SlaDay = Wire.SlaDay;
export type UnansweredLead = Wire.UnansweredLead;
export type SlaReport = Wire.SlaReport;


/** count(*) and sum() come back as bigint/numeric, which the drivers answer as text. */
type Aggregate = string | number | null;

interface SourceAggregateRow {
  g_channel: Aggregate;
  g_utm: Aggregate;
  channel: string | null;
  utm_source: string | null;
  utm_campaign: string | null;
  leads: Aggregate;
  won: Aggregate;
  lost: Aggregate;
  revenue: Aggregate;
}

/** One manager's figures; every aggregate is null when the manager had nothing of its kind. */
interface ManagerAggregateRow {
  id: string;
  name: string;
  active: boolean;
  leads: Aggregate;
  won: Aggregate;
  lost: Aggregate;
  responded: Aggregate;
  avg_frt: Aggregate;
  p90_frt: Aggregate;
  within_sla: Aggregate;
  made: Aggregate;
  answered: Aggregate;
  missed: Aggregate;
  talk: Aggregate;
  open: Aggregate;
  overdue: Aggregate;
}

interface SlaDayRow {
  day: string;
  leads: Aggregate;
  answered: Aggregate;
  within_sla: Aggregate;
}

interface UnansweredRow {
  id: string;
  contact_id: string;
  contact_name: string | null;
  owner_id: string | null;
  owner_name: string | null;
  stage: string;
  source_channel: string;
  created_at: Date | string;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

/**
 * The owner's reports. Every figure is aggregated by PostgreSQL over a cohort: the deals created in
 * the period (local days in the business timezone); calls are the call activities of the period.
 * A manager sees only their own figures; asking for another owner's is a 403.
 */
@Injectable()
export class ReportsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs one report statement with JIT off: a report's cost estimate easily passes jit_above_cost, and
   * compiling the plan then takes longer (seconds under load) than running it (tens of ms).
   */
  private read<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.transaction(async (em) => {
      await execute(em, `SET LOCAL jit = off`);
      return queryRows<T>(em, sql, params);
    });
  }

  private prepare(viewer: Viewer, q: ReportQuery): { period: ReportPeriod; ownerId: string | null; header: ReportHeader } {
    let ownerId = q.ownerId ?? null;
    if (!isAdmin(viewer)) {
      if (ownerId && ownerId !== viewer.id) throw new DomainError(ErrorCode.Forbidden, "a manager sees only their own figures");
      ownerId = viewer.id;
    }
    const period = resolvePeriod(q, this.options.businessHours.timezone, this.clock.now());
    return {
      period,
      ownerId,
      header: {
        period: { from: period.from, to: period.to, timezone: period.timezone, fromAt: period.fromAt.toISOString(), toAt: period.toAt.toISOString() },
        filters: { ownerId, channel: q.channel ?? null, utmSource: q.utmSource ?? null, utmCampaign: q.utmCampaign ?? null, pipelineId: q.pipelineId ?? null },
      },
    };
  }

  /** WHERE clause over `deal d` for the cohort and filters; pushes its parameters. */
  private dealCohort(period: ReportPeriod, ownerId: string | null, q: ReportQuery, params: unknown[]): string {
    params.push(period.fromAt, period.toAt);
    // Test submissions (the form preview in Settings) are real deals but never business figures.
    const where = [`d.created_at >= $${params.length - 1}`, `d.created_at < $${params.length}`, `(d.source->>'test') IS DISTINCT FROM 'true'`];
    if (ownerId) {
      params.push(ownerId);
      where.push(`d.owner_id = $${params.length}`);
    }
    if (q.channel) {
      params.push(q.channel);
      where.push(`d.source_channel = $${params.length}`);
    }
    if (q.utmSource) {
      params.push(q.utmSource);
      where.push(`d.source->'utm'->>'source' = $${params.length}`);
    }
    if (q.utmCampaign) {
      params.push(q.utmCampaign);
      where.push(`d.source->'utm'->>'campaign' = $${params.length}`);
    }
    if (q.pipelineId) {
      params.push(q.pipelineId);
      where.push(`d.pipeline_id = $${params.length}`);
    }
    return where.join(' AND ');
  }

  /**
   * Deals per stage and conversion between stages. How far a deal got is the furthest pipeline stage among
   * its current stage and every stage it has been at (deal.stages_reached, which the database keeps from the
   * stage_changed activities), so a lost deal counts for the stages it passed and a deal moved back still
   * counts for where it had been. Stages are names, compared in the order of the pipeline given as $1.
   */
  async funnel(viewer: Viewer, q: ReportQuery): Promise<FunnelReport> {
    const { period, ownerId, header } = this.prepare(viewer, q);
    // Stage keys are per pipeline: the funnel is one pipeline's, in its stage order. A deal moves forward
    // through the open stages and the won ones; a lost-kind stage leaves the funnel from any of them.
    const stages = await queryRows<{ pipeline_id: string; key: string; kind: string }>(
      this.db,
      `SELECT s.pipeline_id, s.key, s.kind FROM stage s JOIN pipeline p ON p.id = s.pipeline_id
        WHERE ${q.pipelineId ? 'p.id = $1' : 'p.is_default'} ORDER BY s.position`,
      q.pipelineId ? [q.pipelineId] : [],
    );
    if (stages.length === 0) throw DomainError.notFound('pipeline');
    const PROGRESSION = stages.filter((st) => st.kind !== 'lost').map((st) => st.key);
    const wonKeys = new Set(stages.filter((st) => st.kind === 'won').map((st) => st.key));
    const lostKeys = new Set(stages.filter((st) => st.kind === 'lost').map((st) => st.key));
    const params: unknown[] = [PROGRESSION];
    const cohort = this.dealCohort(period, ownerId, { ...q, pipelineId: stages[0].pipeline_id }, params);
    const rows: Array<{ stage: string; reached: number | null; deals: string; amount: string | null }> = await this.read(
      // Few distinct (stage, stages_reached) pairs exist: group first, then place each pair in the pipeline.
      `SELECT g.stage, (SELECT max(array_position($1::text[], s)) FROM unnest(g.stages_reached || g.stage) AS s) AS reached,
              sum(g.deals) AS deals, sum(g.amount) AS amount
         FROM (SELECT d.stage, d.stages_reached, count(*) AS deals, sum(d.amount) AS amount FROM deal d WHERE ${cohort} GROUP BY 1, 2) AS g
        GROUP BY 1, 2`,
      params,
    );
    const atStage = new Map<string, number>();
    const reachedAt = new Array<number>(PROGRESSION.length).fill(0);
    const lostAt = new Array<number>(PROGRESSION.length).fill(0);
    let deals = 0;
    let wonAmount = 0;
    for (const r of rows) {
      const n = num(r.deals);
      deals += n;
      atStage.set(r.stage, (atStage.get(r.stage) ?? 0) + n);
      if (wonKeys.has(r.stage)) wonAmount += num(r.amount);
      // array_position is 1-based; a lost deal without a recorded move was lost straight from the first stage.
      const furthest = (r.reached ?? 1) - 1;
      reachedAt[furthest] += n;
      if (lostKeys.has(r.stage)) lostAt[furthest] += n;
    }
    const steps: FunnelStep[] = [];
    let cumulative = 0;
    const reached = new Array<number>(PROGRESSION.length).fill(0);
    for (let i = PROGRESSION.length - 1; i >= 0; i--) {
      cumulative += reachedAt[i];
      reached[i] = cumulative;
    }
    PROGRESSION.forEach((stage, i) => {
      steps.push({
        stage,
        deals: atStage.get(stage) ?? 0,
        reached: reached[i],
        conversionFromPrevious: i === 0 ? null : ratio(reached[i], reached[i - 1]),
        conversionFromFirst: i === 0 ? null : ratio(reached[i], reached[0]),
        lostHere: lostAt[i],
      });
    });
    const count = (keys: Set<string>) => [...keys].reduce((sum, k) => sum + (atStage.get(k) ?? 0), 0);
    const won = count(wonKeys);
    const lost = count(lostKeys);
    return {
      ...header,
      filters: { ...header.filters, pipelineId: stages[0].pipeline_id },
      totals: { deals, open: deals - won - lost, won, lost, wonAmount: round2(wonAmount), conversion: ratio(won, deals) },
      steps,
    };
  }

  /** Leads, won deals, conversion and revenue (won amounts) per channel and per UTM source/campaign; won and lost by stage kind. */
  async leadSources(viewer: Viewer, q: ReportQuery): Promise<LeadSourcesReport> {
    const { period, ownerId, header } = this.prepare(viewer, q);
    const params: unknown[] = [];
    const cohort = this.dealCohort(period, ownerId, q, params);
    const rows = await this.read<SourceAggregateRow>(
      `SELECT GROUPING(d.source_channel) AS g_channel, GROUPING(d.source->'utm'->>'source', d.source->'utm'->>'campaign') AS g_utm,
              d.source_channel AS channel, d.source->'utm'->>'source' AS utm_source, d.source->'utm'->>'campaign' AS utm_campaign,
              count(*) AS leads, count(*) FILTER (WHERE s.kind = 'won') AS won, count(*) FILTER (WHERE s.kind = 'lost') AS lost,
              COALESCE(sum(d.amount) FILTER (WHERE s.kind = 'won'), 0) AS revenue
         FROM deal d JOIN stage s ON s.id = d.stage_id WHERE ${cohort}
        GROUP BY GROUPING SETS ((), (d.source_channel), (d.source->'utm'->>'source', d.source->'utm'->>'campaign'))`,
      params,
    );
    const toRow = (r: SourceAggregateRow): SourceRow => ({
      leads: num(r.leads),
      won: num(r.won),
      lost: num(r.lost),
      conversion: ratio(num(r.won), num(r.leads)),
      revenue: round2(num(r.revenue)),
    });
    const byLeads = (a: SourceRow, b: SourceRow) => b.leads - a.leads || b.revenue - a.revenue;
    // GROUPING of two expressions is a bit mask: 3 = neither grouped (the grand total row).
    const total = rows.find((r) => num(r.g_channel) === 1 && num(r.g_utm) === 3);
    return {
      ...header,
      totals: total ? toRow(total) : { leads: 0, won: 0, lost: 0, conversion: null, revenue: 0 },
      byChannel: rows
        .filter((r) => num(r.g_channel) === 0)
        .map((r) => ({ channel: r.channel ?? '', ...toRow(r) }))
        .sort((a, b) => byLeads(a, b) || a.channel.localeCompare(b.channel)),
      byUtm: rows
        .filter((r) => num(r.g_utm) === 0)
        .map((r) => ({ utmSource: r.utm_source ?? null, utmCampaign: r.utm_campaign ?? null, ...toRow(r) }))
        .sort((a, b) => byLeads(a, b) || String(a.utmSource).localeCompare(String(b.utmSource)) || String(a.utmCampaign).localeCompare(String(b.utmCampaign))),
    };
  }

  /**
   * Per manager: leads assigned (deals of the cohort they own), calls of the period (call_out made; call_in
   * and call_out answered; call_missed — a missed call nobody took counts for whoever owned the deal when it
   * rang), first-response time (deal.first_response_at − deal.created_at), share called back within
   * CALLBACK_SLA_MINUTES, won/lost by stage kind, and the open and overdue tasks they hold now.
   * Calls come from call_fact, the narrow rows the database keeps from the call activities.
   */
  async managers(viewer: Viewer, q: ReportQuery): Promise<ManagersReport> {
    const { period, ownerId, header } = this.prepare(viewer, q);
    const slaMinutes = this.options.callbackSlaMinutes;
    const params: unknown[] = [slaMinutes, this.clock.now()];
    const cohort = this.dealCohort(period, ownerId, q, params);
    params.push(period.fromAt, period.toAt);
    const callFrom = `$${params.length - 1}`;
    const callTo = `$${params.length}`;
    let managerScope = 'TRUE';
    let owner = '';
    if (ownerId) {
      params.push(ownerId);
      owner = `$${params.length}`;
      managerScope = `m.id = ${owner}`;
    }
    // date_part, not extract: extract returns numeric, several times slower to average and sort than float8.
    const frt = `date_part('epoch', d.first_response_at - d.created_at)`;
    const rows = await this.read<ManagerAggregateRow>(
      `WITH deals AS (
              SELECT d.owner_id AS manager_id, count(*) AS leads,
                     count(*) FILTER (WHERE s.kind = 'won') AS won, count(*) FILTER (WHERE s.kind = 'lost') AS lost,
                     count(d.first_response_at) AS responded,
                     avg(${frt}) AS avg_frt,
                     percentile_cont(0.9) WITHIN GROUP (ORDER BY ${frt}) AS p90_frt,
                     count(*) FILTER (WHERE d.first_response_at <= d.created_at + make_interval(mins => $1::int)) AS within_sla
                FROM deal d JOIN stage s ON s.id = d.stage_id
               WHERE ${cohort} AND d.owner_id IS NOT NULL
               GROUP BY d.owner_id),
            calls AS (
              SELECT f.manager_id,
                     count(*) FILTER (WHERE f.kind = 'call_out') AS made,
                     count(*) FILTER (WHERE f.answered) AS answered,
                     count(*) FILTER (WHERE f.kind = 'call_missed') AS missed,
                     sum(f.talk_seconds) AS talk
                FROM call_fact f
               WHERE f.occurred_at >= ${callFrom} AND f.occurred_at < ${callTo}
                 AND f.manager_id ${ownerId ? `= ${owner}` : 'IS NOT NULL'}
               GROUP BY f.manager_id),
            tasks AS (
              SELECT t.assignee_id AS manager_id, count(*) AS open, count(*) FILTER (WHERE t.due_at < $2) AS overdue
                FROM task t WHERE t.status = 'open' AND t.assignee_id IS NOT NULL${ownerId ? ` AND t.assignee_id = ${owner}` : ''}
               GROUP BY t.assignee_id)
       SELECT m.id, m.name, m.active, d.leads, d.won, d.lost, d.responded, d.avg_frt, d.p90_frt, d.within_sla,
              c.made, c.answered, c.missed, c.talk, t.open, t.overdue
         FROM manager m
         LEFT JOIN deals d ON d.manager_id = m.id
         LEFT JOIN calls c ON c.manager_id = m.id
         LEFT JOIN tasks t ON t.manager_id = m.id
        WHERE ${managerScope} AND (m.active OR d.leads IS NOT NULL OR c.manager_id IS NOT NULL)
        ORDER BY m.name, m.id`,
      params,
    );
    return {
      ...header,
      slaMinutes,
      managers: rows.map((r) => ({
        managerId: r.id,
        name: r.name,
        active: r.active,
        leadsAssigned: num(r.leads),
        callsMade: num(r.made),
        callsAnswered: num(r.answered),
        callsMissed: num(r.missed),
        talkSeconds: Math.round(num(r.talk)),
        responded: num(r.responded),
        avgFirstResponseSeconds: r.avg_frt === null || r.avg_frt === undefined ? null : Math.round(Number(r.avg_frt)),
        p90FirstResponseSeconds: r.p90_frt === null || r.p90_frt === undefined ? null : Math.round(Number(r.p90_frt)),
        calledBackWithinSla: num(r.within_sla),
        calledBackWithinSlaShare: ratio(num(r.within_sla), num(r.leads)),
        won: num(r.won),
        lost: num(r.lost),
        openTasks: num(r.open),
        overdueTasks: num(r.overdue),
      })),
    };
  }

  /** Per local day: leads, answered, answered within the SLA minutes and the share; plus the never-answered leads. */
  async sla(viewer: Viewer, q: ReportQuery): Promise<SlaReport> {
    const { period, ownerId, header } = this.prepare(viewer, q);
    const slaMinutes = this.options.callbackSlaMinutes;
    const params: unknown[] = [slaMinutes, period.timezone, period.from, period.to];
    const cohort = this.dealCohort(period, ownerId, q, params);
    const rows = await this.read<SlaDayRow>(
      `WITH per_day AS (
              SELECT (d.created_at AT TIME ZONE $2)::date AS day, count(*) AS leads, count(d.first_response_at) AS answered,
                     count(*) FILTER (WHERE d.first_response_at <= d.created_at + make_interval(mins => $1::int)) AS within_sla
                FROM deal d WHERE ${cohort} GROUP BY 1)
       SELECT to_char(g.day, 'YYYY-MM-DD') AS day, p.leads, p.answered, p.within_sla
         FROM generate_series($3::date, $4::date, interval '1 day') AS g(day)
         LEFT JOIN per_day p ON p.day = g.day::date
        ORDER BY g.day`,
      params,
    );
    const days: SlaDay[] = rows.map((r) => ({
      date: r.day,
      leads: num(r.leads),
      answered: num(r.answered),
      answeredWithinSla: num(r.within_sla),
      share: ratio(num(r.within_sla), num(r.leads)),
    }));
    const sum = (k: keyof SlaDay) => days.reduce((s, d) => s + (d[k] as number), 0);
    const leads = sum('leads');
    const answered = sum('answered');
    const within = sum('answeredWithinSla');
    const unanswered = await this.unanswered(viewer, { ...q, limit: 50 });
    return {
      ...header,
      slaMinutes,
      totals: { leads, answered, answeredWithinSla: within, share: ratio(within, leads), neverAnswered: leads - answered },
      days,
      neverAnswered: unanswered.items,
    };
  }

  /** Leads of the period nobody has answered yet (no first response), oldest first, cursor-paginated. */
  async unanswered(viewer: Viewer, q: ReportQuery & { cursor?: string; limit?: number }): Promise<Page<UnansweredLead>> {
    const { period, ownerId } = this.prepare(viewer, q);
    const limit = clampLimit(q.limit, 1000, 100);
    const params: unknown[] = [];
    const cohort = this.dealCohort(period, ownerId, q, params);
    let after = '';
    const cursor = decodeCursor(q.cursor);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      after = ` AND (d.created_at, d.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(limit + 1);
    const rows = await this.read<UnansweredRow>(
      `SELECT d.id, d.contact_id, c.name AS contact_name, d.owner_id, m.name AS owner_name, d.stage, d.source_channel, d.created_at
         FROM deal d JOIN contact c ON c.id = d.contact_id LEFT JOIN manager m ON m.id = d.owner_id
        WHERE ${cohort} AND d.first_response_at IS NULL${after}
        ORDER BY d.created_at, d.id LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, limit).map((r) => ({
      dealId: r.id,
      contactId: r.contact_id,
      contactName: r.contact_name,
      ownerId: r.owner_id,
      ownerName: r.owner_name,
      stage: r.stage,
      sourceChannel: r.source_channel,
      createdAt: new Date(r.created_at).toISOString(),
    }));
    const last = rows.length > limit ? rows[limit - 1] : null;
    return { items, nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
