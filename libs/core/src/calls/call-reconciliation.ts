import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AssignmentService } from '../assignment/assignment.service';
import { touchContact } from '../contacts/contact-activity';
import { Clock } from '../core-options';
import { OutboxKind, OutboxService } from '../outbox/outbox.service';
import { TasksService } from '../tasks/tasks.service';
import type { CallOutcome } from './call-outcome';
import { recordingPayload, type CallRow } from './call-queries';
import { callText, formatPhoneForPeople, localClock } from './call-text';
import { MissedCallTasks } from './missed-call-tasks';
import { queryRow, mutateRows, execute } from '../database/query-rows';

interface ActorRow {
  name: string;
  timezone: string;
}

interface EscalationRow {
  occurred_at: Date | string;
  payload: { outcome?: string; fromManagerId?: string | null; toManagerId?: string | null; toManagerName?: string | null };
}

/**
 * Brings a call's row and everything it left behind (timeline entry, callback task, notices, an
 * escalation made because of it) in line with the call's outcome as derived from all its events. Runs
 * in the transaction that stored the event, with the call row locked.
 */
@Injectable()
export class CallReconciliation {
  private readonly log = new Logger('Calls');

  constructor(
    private readonly clock: Clock,
    private readonly tasks: TasksService,
    private readonly missed: MissedCallTasks,
    private readonly assignment: AssignmentService,
    private readonly outbox: OutboxService,
  ) {}

  /** Returns false when the outcome changes nothing (an event older than what we knew). */
  async reconcile(em: EntityManager, call: CallRow, outcome: CallOutcome): Promise<boolean> {
    if (!call.ended_at) {
      if (outcome.ended) {
        await this.finish(em, call, outcome);
        return true;
      }
      return this.progress(em, call, outcome);
    }
    if (outcome.answered && !call.answered) {
      await this.turnAnswered(em, call, outcome);
      return true;
    }
    if (outcome.answered && outcome.ended && (outcome.durationSeconds !== call.duration_seconds || this.managerOf(call, outcome) !== call.manager_id)) {
      await this.refineAnswered(em, call, outcome);
      return true;
    }
    return false;
  }

  private managerOf(call: CallRow, outcome: CallOutcome): string | null {
    if (call.direction === 'outbound') return call.placed_by_id;
    return outcome.answered ? (outcome.managerId ?? call.manager_id) : call.manager_id;
  }

  /** A call still going: its status and, once somebody answered, who and since when. */
  private async progress(em: EntityManager, call: CallRow, outcome: CallOutcome): Promise<boolean> {
    const managerId = this.managerOf(call, outcome);
    const duration = outcome.answered ? outcome.durationSeconds || null : null;
    const answeredAt = outcome.answeredAt ?? (call.answered_at ? new Date(call.answered_at) : null);
    const lastSequence = Math.max(call.last_sequence, outcome.lastSequence);
    const same =
      call.status === outcome.status &&
      call.answered === outcome.answered &&
      call.manager_id === managerId &&
      (call.duration_seconds ?? null) === duration &&
      call.last_sequence === lastSequence;
    if (same) return false;
    await execute(
      em,
      `UPDATE call SET status = $2, answered = $3, manager_id = $4, answered_at = $5, duration_seconds = $6, last_sequence = $7, updated_at = now() WHERE id = $1`,
      [call.id, outcome.status, outcome.answered, managerId, answeredAt, duration, lastSequence],
    );
    return true;
  }

  /** Ends the call and leaves its traces: timeline entry, callback task (completed, opened, or an attempt counted), notice. */
  async finish(em: EntityManager, call: CallRow, outcome: CallOutcome): Promise<void> {
    const inbound = call.direction === 'inbound';
    const answered = outcome.answered;
    const endedAt = outcome.endedAt ?? this.clock.now();
    const managerId = this.managerOf(call, outcome);
    const actorId: string | null = inbound ? (answered ? managerId : null) : call.placed_by_id;
    const actor = await this.actor(em, actorId);
    const kind = inbound ? (answered ? 'call_in' : 'call_missed') : 'call_out';
    let taskId: string | null = null;
    let attempt: number | null = null;
    if (call.contact_id && !answered) ({ taskId, attempt } = inbound ? await this.missed.open(em, call, endedAt) : await this.countAttempt(em, call));
    const durationSeconds = answered ? outcome.durationSeconds : 0;
    const payload: Record<string, unknown> = {
      callId: call.id,
      direction: call.direction,
      status: outcome.status,
      answered,
      durationSeconds,
      from: call.from_number,
      to: call.to_number,
      managerId: actorId,
      managerName: actor?.name ?? null,
      // The UI renders the line from code + these facts in the reader's language; `text` is the English for API consumers.
      code: 'call',
      text: callText({ direction: call.direction, answered, managerName: actor?.name ?? null, durationSeconds, status: outcome.status, attempt }),
      ...(taskId ? { taskId, attempt } : {}),
      ...(call.recording_url ? { recording: recordingPayload(call) } : {}),
      ...(call.error ? { error: call.error } : {}),
    };
    let activityId: string | null = null;
    if (call.contact_id) {
      const [row] = await mutateRows<{ id: string }>(
        em,
        `INSERT INTO activity (contact_id, deal_id, kind, channel, actor_id, occurred_at, payload) VALUES ($1, $2, $3, 'phone', $4, $5, $6) RETURNING id`,
        [call.contact_id, call.deal_id, kind, actorId, endedAt, JSON.stringify(payload)],
      );
      activityId = row.id;
      await touchContact(em, call.contact_id, endedAt);
    }
    await execute(
      em,
      `UPDATE call SET status = $2, answered = $3, manager_id = $4, answered_at = $5, duration_seconds = $6, ended_at = $7, activity_id = $8,
              task_id = COALESCE($9, task_id), last_sequence = GREATEST(last_sequence, $10), updated_at = now() WHERE id = $1`,
      [call.id, outcome.status, answered, managerId, answered ? outcome.answeredAt : null, durationSeconds, endedAt, activityId, taskId, outcome.lastSequence],
    );
    // Talking to the client is the callback: an answered (connected) call completes the open callback task.
    if (call.contact_id && answered) {
      await this.tasks.recordOutboundContact(em, { contactId: call.contact_id, channel: 'phone', at: inbound ? endedAt : (outcome.answeredAt ?? endedAt), actorId });
    }
    this.log.log({ msg: 'call ended', callId: call.id, providerCallId: call.provider_call_id, kind, status: outcome.status, answered, durationSeconds, managerId: actorId, taskId });
  }

  /**
   * An outbound call nobody answered is an attempt: counted on the deal's open callback task, which stays
   * open. A call the provider refused outright (never placed, no provider id) rang nobody: not an attempt.
   */
  private async countAttempt(em: EntityManager, call: CallRow): Promise<{ taskId: string | null; attempt: number | null }> {
    if (!call.deal_id || !call.provider_call_id) return { taskId: null, attempt: null };
    const [task] = await mutateRows<{ id: string; call_attempts: number }>(
      em,
      `UPDATE task SET call_attempts = call_attempts + 1 WHERE deal_id = $1 AND kind = 'callback' AND status = 'open' RETURNING id, call_attempts`,
      [call.deal_id],
    );
    return task ? { taskId: task.id, attempt: task.call_attempts } : { taskId: null, attempt: null };
  }

  /**
   * The call was logged as missed (or an outbound attempt) but a late event shows it was answered: the
   * timeline entry becomes the answered call and says it was corrected, the callback task is completed
   * by whoever answered, the missed-call notice is withdrawn and an escalation it caused is undone.
   */
  private async turnAnswered(em: EntityManager, call: CallRow, outcome: CallOutcome): Promise<void> {
    const inbound = call.direction === 'inbound';
    const managerId = this.managerOf(call, outcome);
    const actor = await this.actor(em, managerId);
    const endedAt = new Date(call.ended_at!);
    const previousKind = inbound ? 'call_missed' : 'call_out';
    await this.rewrite(em, call, outcome, managerId, actor, { correctedFrom: previousKind, correctedAt: this.clock.now().toISOString(), correction: `first logged as ${inbound ? 'missed' : 'not answered'}; the answer was reported late`, correctionCode: 'answer_reported_late' });
    if (inbound) {
      await this.missed.withdraw(em, call, { managerName: actor?.name ?? null, durationSeconds: outcome.durationSeconds, answeredAt: outcome.answeredAt });
      await this.undoEscalation(em, call, managerId, outcome.answeredAt ?? endedAt);
    } else if (call.task_id) {
      await execute(em, `UPDATE task SET call_attempts = GREATEST(call_attempts - 1, 0) WHERE id = $1`, [call.task_id]);
    }
    if (call.contact_id) await this.tasks.recordOutboundContact(em, { contactId: call.contact_id, channel: 'phone', at: outcome.answeredAt ?? endedAt, actorId: managerId });
    this.log.log({ msg: 'call corrected: answered after all', callId: call.id, providerCallId: call.provider_call_id, managerId, durationSeconds: outcome.durationSeconds });
  }

  /** An answered call learns its exact talk time or who answered (a Dial action after a PBX's `completed`). */
  private async refineAnswered(em: EntityManager, call: CallRow, outcome: CallOutcome): Promise<void> {
    const managerId = this.managerOf(call, outcome);
    await this.rewrite(em, call, outcome, managerId, await this.actor(em, managerId), {});
  }

  /** The call row and its timeline entry as the outcome says (kind, actor, text, talk time). */
  private async rewrite(em: EntityManager, call: CallRow, outcome: CallOutcome, managerId: string | null, actor: ActorRow | null, extra: Record<string, unknown>): Promise<void> {
    const inbound = call.direction === 'inbound';
    await execute(
      em,
      `UPDATE call SET status = $2, answered = true, manager_id = $3, answered_at = $4, duration_seconds = $5, last_sequence = GREATEST(last_sequence, $6), updated_at = now() WHERE id = $1`,
      [call.id, outcome.status, managerId, outcome.answeredAt, outcome.durationSeconds, outcome.lastSequence],
    );
    if (!call.activity_id) return;
    const text = callText({ direction: call.direction, answered: true, managerName: actor?.name ?? null, durationSeconds: outcome.durationSeconds, status: outcome.status });
    const patch = {
      status: outcome.status,
      answered: true,
      durationSeconds: outcome.durationSeconds,
      managerId,
      managerName: actor?.name ?? null,
      code: 'call',
      text: extra.correction ? `${text} (${extra.correction})` : text,
      ...extra,
    };
    await execute(em, `UPDATE activity SET kind = $2, actor_id = $3, payload = (payload - 'attempt') || $4::jsonb WHERE id = $1`, [
      call.activity_id,
      inbound ? 'call_in' : 'call_out',
      managerId,
      JSON.stringify(patch),
    ]);
  }

  /**
   * The missed call's task was escalated (the deal given to another manager) after the call ended —
   * on the premise that nobody called back. The call was answered, so the deal and its tasks go back to
   * who answered (or the owner it was taken from), unless somebody moved the deal again since; the
   * manager it had been given to is told. An escalation that only told the admins is withdrawn.
   */
  private async undoEscalation(em: EntityManager, call: CallRow, answeredBy: string | null, answeredAt: Date): Promise<void> {
    if (!call.task_id || !call.deal_id || !call.contact_id) return;
    const escalation = await queryRow<EscalationRow>(
      em,
      `SELECT occurred_at, payload FROM activity
        WHERE deal_id = $1 AND kind = 'task_escalated' AND payload->>'taskId' = $2 AND occurred_at >= $3
        ORDER BY occurred_at DESC LIMIT 1`,
      [call.deal_id, call.task_id, call.ended_at],
    );
    if (!escalation) return;
    if (escalation.payload.outcome !== 'reassigned') return this.withdrawAdminEscalation(em, call, answeredBy, answeredAt);
    const from = escalation.payload.fromManagerId ?? null;
    const to = escalation.payload.toManagerId ?? null;
    const deal = await queryRow<{ id: string; owner_id: string | null }>(em, `SELECT id, owner_id FROM deal WHERE id = $1 FOR NO KEY UPDATE`, [call.deal_id]);
    if (!deal || !to || deal.owner_id !== to) {
      this.log.log({ msg: 'escalation not undone: the deal moved again since', callId: call.id, dealId: call.deal_id, ownerId: deal?.owner_id ?? null });
      return;
    }
    const backTo = answeredBy ?? from;
    if (!backTo || backTo === to) return;
    const manager = await queryRow<{ name: string; timezone: string }>(em, `SELECT name, timezone FROM manager WHERE id = $1 AND active`, [backTo]);
    if (!manager) return;
    const reason = `escalation undone: the call from ${formatPhoneForPeople(call.from_number)} at ${localClock(answeredAt, manager.timezone)} was answered by ${manager.name} (reported late), so the callback was not missed`;
    await this.assignment.apply(
      em,
      { id: call.deal_id, contactId: call.contact_id },
      {
        managerId: backTo,
        managerName: manager.name,
        rule: 'manual',
        reason,
        params: { escalationUndone: { from: call.from_number, answeredAt: answeredAt.toISOString(), managerName: manager.name } },
      },
      null,
      { taskId: call.task_id, callId: call.id, escalationUndone: true, takenFromManagerId: to },
    );
    await execute(em, `UPDATE contact SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id = $3`, [call.contact_id, backTo, to]);
    await this.outbox.enqueue(em, {
      kind: OutboxKind.NotifyManager,
      payload: {
        event: 'escalation_undone',
        managerId: to,
        dealId: call.deal_id,
        contactId: call.contact_id,
        taskId: call.task_id,
        callId: call.id,
        toManagerId: backTo,
        toManagerName: manager.name,
        from: call.from_number,
        answeredAt: answeredAt.toISOString(),
        text: `The deal goes back to ${manager.name}: the call it was escalated for was answered (reported late)`,
      },
    });
  }

  /**
   * ESCALATION_POLICY=notify (or nobody else was eligible): the admins were told the manager did not
   * call back. They are told it was not so, and their escalation notices are marked withdrawn.
   */
  private async withdrawAdminEscalation(em: EntityManager, call: CallRow, answeredBy: string | null, answeredAt: Date): Promise<void> {
    const actor = await this.actor(em, answeredBy);
    const who = actor?.name ?? 'a manager';
    const mark = JSON.stringify({ withdrawn: true, withdrawnAt: this.clock.now().toISOString(), withdrawnReason: 'answered' });
    await execute(em, `UPDATE outbox SET payload = payload || $2::jsonb, updated_at = now() WHERE payload->>'event' = 'task_escalated' AND payload->>'taskId' = $1`, [call.task_id, mark]);
    await execute(em, `UPDATE notification SET payload = payload || $2::jsonb WHERE event = 'task_escalated' AND payload->>'taskId' = $1`, [call.task_id, mark]);
    await this.outbox.enqueue(em, {
      kind: OutboxKind.NotifyAdmins,
      payload: {
        event: 'escalation_withdrawn',
        dealId: call.deal_id,
        contactId: call.contact_id,
        taskId: call.task_id,
        callId: call.id,
        answeredBy: who,
        answeredByName: actor?.name ?? null,
        from: call.from_number,
        answeredAt: answeredAt.toISOString(),
        text: `Escalation withdrawn: the call from ${formatPhoneForPeople(call.from_number)} at ${localClock(answeredAt, actor?.timezone ?? 'UTC')} was answered by ${who} (reported late), so the callback was not missed`,
      },
    });
  }

  private async actor(em: EntityManager, id: string | null): Promise<ActorRow | null> {
    if (!id) return null;
    const row = await queryRow<ActorRow>(em, `SELECT name, timezone FROM manager WHERE id = $1`, [id]);
    return row ?? null;
  }
}
