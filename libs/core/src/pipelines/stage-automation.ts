import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { addBusinessMinutes } from '../business-hours/business-hours';
import { CORE_OPTIONS, type CoreOptions } from '../core-options';
import { insertFromJson, type ColumnTypes } from '../database/json-rows';
import { returnedRows } from '../database/returned-rows';
import { dueMinutes } from '../deals/pipeline';
import type { StageRuleDueUnit, StageRuleTarget } from '../entities';
import { OutboxKind, OutboxService, type NewOutboxMessage } from '../outbox/outbox.service';
import { slaInstants } from '../sla/sla-schedule';
import { TimelineService, type NewActivity } from '../timeline/timeline.service';

/** A stage with the active rules that fire when a deal enters it. */
export interface EnteredStage {
  id: string;
  pipelineId: string;
  key: string;
  name: string;
  kind: string;
  rules: ActiveRule[];
}

interface ActiveRule {
  id: string;
  title: string;
  assign_to: StageRuleTarget;
  manager_id: string | null;
  manager_active: boolean | null;
  due_in: number;
  due_unit: StageRuleDueUnit;
}

export interface PlannedTask {
  id: string;
  dealId: string;
  contactId: string;
  assigneeId: string | null;
  followsOwner: boolean;
  title: string;
  dueAt: Date;
  remindAt: Date | null;
  escalateAt: Date;
  createdAt: Date;
  stageId: string;
  stageRuleId: string;
}

export interface PlannedStageTasks {
  tasks: PlannedTask[];
  activities: NewActivity[];
  notices: NewOutboxMessage[];
}

export interface DealRef {
  id: string;
  contactId: string;
  ownerId: string | null;
}

const STAGE_WITH_RULES = `SELECT s.id, s.pipeline_id AS "pipelineId", s.key, s.name, s.kind,
       COALESCE((SELECT json_agg(r ORDER BY r.created_at, r.id) FROM (
          SELECT sr.id, sr.title, sr.assign_to, sr.manager_id, m.active AS manager_active, sr.due_in, sr.due_unit, sr.created_at
            FROM stage_rule sr LEFT JOIN manager m ON m.id = sr.manager_id
           WHERE sr.stage_id = s.id AND sr.active) r), '[]'::json) AS rules
  FROM stage s`;

export const RULE_TASK_COLUMNS: ColumnTypes = {
  id: 'uuid',
  deal_id: 'uuid',
  contact_id: 'uuid',
  assignee_id: 'uuid',
  kind: 'text',
  title: 'text',
  due_at: 'timestamptz',
  remind_at: 'timestamptz',
  escalate_at: 'timestamptz',
  created_at: 'timestamptz',
  stage_id: 'uuid',
  stage_rule_id: 'uuid',
  follows_owner: 'boolean',
};

/** Row shape of `task` for insertFromJson(RULE_TASK_COLUMNS). */
export function ruleTaskRow(t: PlannedTask): Record<string, unknown> {
  return {
    id: t.id,
    deal_id: t.dealId,
    contact_id: t.contactId,
    assignee_id: t.assigneeId,
    kind: 'follow_up',
    title: t.title,
    due_at: t.dueAt.toISOString(),
    remind_at: t.remindAt?.toISOString() ?? null,
    escalate_at: t.escalateAt.toISOString(),
    created_at: t.createdAt.toISOString(),
    stage_id: t.stageId,
    stage_rule_id: t.stageRuleId,
    follows_owner: t.followsOwner,
  };
}

/**
 * How long one process reuses the entry stage and its rules, so an intake does not pay a round trip
 * for them (as WebFormsService caches forms). Edits through this process forget it at once; another
 * hub process sees them within this time.
 */
const ENTRY_STAGE_CACHE_MS = 5_000;

/**
 * What stage rules do to a deal: entering a stage creates the rules' tasks (due in business time, with
 * the SLA instants, so reminder, overdue and escalation apply to them like to callback tasks); leaving
 * it cancels the ones still open (completed ones stay), which stops their SLA clocks. Always inside
 * the caller's transaction.
 */
@Injectable()
export class StageAutomation {
  constructor(
    @Inject(CORE_OPTIONS) private readonly options: CoreOptions,
    private readonly timeline: TimelineService,
    private readonly outbox: OutboxService,
  ) {}

  private entryCache: { stage: EnteredStage | null; until: number } | null = null;

  /** The stage new leads enter: the default pipeline's first open stage, with its rules (cached briefly). */
  async entryStage(em: EntityManager, pipelineName?: string | null): Promise<EnteredStage | null> {
    if (pipelineName) {
      // A channel routed by where the client wrote (a WhatsApp or SMS number): that pipeline's first open stage.
      // A name no pipeline has any more (renamed, deleted) falls back to the default one: the lead is never lost.
      const [routed] = await em.query(
        `${STAGE_WITH_RULES} JOIN pipeline p ON p.id = s.pipeline_id WHERE lower(p.name) = lower($1) AND s.kind = 'open' ORDER BY s.position LIMIT 1`,
        [pipelineName],
      );
      if (routed) return routed;
    }
    const now = Date.now();
    if (this.entryCache && this.entryCache.until > now) return this.entryCache.stage;
    const [row] = await em.query(`${STAGE_WITH_RULES} JOIN pipeline p ON p.id = s.pipeline_id WHERE p.is_default AND s.kind = 'open' ORDER BY s.position LIMIT 1`);
    this.entryCache = { stage: row ?? null, until: now + ENTRY_STAGE_CACHE_MS };
    return this.entryCache.stage;
  }

  /** Called after any change to pipelines, stages or rules. */
  forgetEntryStage(): void {
    this.entryCache = null;
  }

  async stage(em: EntityManager, stageId: string): Promise<EnteredStage | null> {
    const [row] = await em.query(`${STAGE_WITH_RULES} WHERE s.id = $1`, [stageId]);
    return row ?? null;
  }

  /** The tasks, timeline entries and notices entering `stage` makes, not yet written (intake batches them). */
  async plan(em: EntityManager, deal: DealRef, stage: EnteredStage, at: Date, actorId: string | null): Promise<PlannedStageTasks> {
    const out: PlannedStageTasks = { tasks: [], activities: [], notices: [] };
    let admin: string | null | undefined;
    for (const rule of stage.rules) {
      let assigneeId = deal.ownerId;
      let followsOwner = true;
      let note: string | undefined;
      if (rule.assign_to === 'manager') {
        if (rule.manager_active) {
          assigneeId = rule.manager_id;
          followsOwner = false;
        } else {
          note = 'the rule’s manager is deactivated: the task went to the deal’s owner';
        }
      } else if (rule.assign_to === 'admins') {
        admin ??= await this.leastBusyAdmin(em);
        if (admin) {
          assigneeId = admin;
          followsOwner = false;
        } else {
          note = 'no active admin: the task went to the deal’s owner';
        }
      }
      const minutes = dueMinutes(rule.due_in, rule.due_unit);
      const dueAt = addBusinessMinutes(this.options.businessHours, at, minutes);
      const { remindAt, escalateAt } = slaInstants(this.options.businessHours, this.options.sla, dueAt);
      const task: PlannedTask = {
        id: randomUUID(),
        dealId: deal.id,
        contactId: deal.contactId,
        assigneeId,
        followsOwner,
        title: rule.title,
        dueAt,
        remindAt,
        escalateAt,
        createdAt: at,
        stageId: stage.id,
        stageRuleId: rule.id,
      };
      out.tasks.push(task);
      out.activities.push({
        contactId: deal.contactId,
        dealId: deal.id,
        kind: 'task_created',
        actorId,
        occurredAt: at,
        payload: {
          taskId: task.id,
          kind: 'follow_up',
          title: rule.title,
          dueAt: dueAt.toISOString(),
          slaMinutes: minutes,
          assigneeId,
          assignTo: rule.assign_to,
          stageRuleId: rule.id,
          stage: stage.key,
          stageName: stage.name,
          text: `${rule.title}: due in ${rule.due_in} ${unitWord(rule.due_in, rule.due_unit)} (rule of stage "${stage.name}")`,
          ...(note ? { note } : {}),
        },
      });
      if (assigneeId && assigneeId !== actorId) {
        out.notices.push({
          kind: OutboxKind.NotifyManager,
          payload: { event: 'task_created', managerId: assigneeId, taskId: task.id, dealId: deal.id, contactId: deal.contactId, title: rule.title, dueAt: dueAt.toISOString() },
        });
      }
    }
    return out;
  }

  /** Enters `stage`: plans and writes its rules' tasks. */
  async enter(em: EntityManager, deal: DealRef, stage: EnteredStage, at: Date, actorId: string | null): Promise<PlannedTask[]> {
    const planned = await this.plan(em, deal, stage, at, actorId);
    if (planned.tasks.length) await em.query(insertFromJson('task', RULE_TASK_COLUMNS, 1), [JSON.stringify(planned.tasks.map(ruleTaskRow))]);
    await this.timeline.record(em, ...planned.activities);
    await this.outbox.enqueue(em, ...planned.notices);
    return planned.tasks;
  }

  /** Leaves `from` for `to`: cancels the open tasks `from`'s rules made, one timeline entry each saying why. */
  async leave(em: EntityManager, deal: DealRef, from: { id: string; key: string; name: string }, to: { key: string; name: string }, at: Date, actorId: string | null): Promise<string[]> {
    const cancelled: Array<{ id: string; kind: string; title: string; due_at: Date; assignee_id: string | null; stage_rule_id: string | null }> = returnedRows(
      await em.query(
        `UPDATE task SET status = 'cancelled', completed_at = $3, completed_by_id = $4
          WHERE deal_id = $1 AND stage_id = $2 AND status = 'open'
        RETURNING id, kind, title, due_at, assignee_id, stage_rule_id`,
        [deal.id, from.id, at, actorId],
      ),
    );
    await this.timeline.record(
      em,
      ...cancelled.map((t) => ({
        contactId: deal.contactId,
        dealId: deal.id,
        kind: 'task_cancelled' as const,
        actorId,
        occurredAt: at,
        payload: {
          taskId: t.id,
          kind: t.kind,
          title: t.title,
          dueAt: new Date(t.due_at).toISOString(),
          assigneeId: t.assignee_id,
          stageRuleId: t.stage_rule_id,
          reason: 'left_stage',
          fromStage: from.key,
          toStage: to.key,
          text: `"${t.title}" cancelled: the deal left stage "${from.name}" for "${to.name}"`,
          code: 'task_cancelled_left_stage',
          params: { title: t.title, from: from.key, fromName: from.name, to: to.key, toName: to.name },
        },
      })),
    );
    return cancelled.map((t) => t.id);
  }

  /** The active admin with the fewest open tasks (oldest admin on a tie): one accountable person. */
  private async leastBusyAdmin(em: EntityManager): Promise<string | null> {
    const [row] = await em.query(
      `SELECT m.id FROM manager m WHERE m.role = 'admin' AND m.active
        ORDER BY (SELECT count(*) FROM task t WHERE t.assignee_id = m.id AND t.status = 'open'), m.created_at, m.id LIMIT 1`,
    );
    return row?.id ?? null;
  }
}

function unitWord(n: number, unit: StageRuleDueUnit): string {
  if (unit === 'hours') return n === 1 ? 'hour' : 'hours';
  return n === 1 ? 'minute' : 'minutes';
}
