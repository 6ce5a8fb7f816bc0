import { toCsv } from './csv';
import type { FunnelReport, LeadSourcesReport, ManagersReport, SlaReport, UnansweredLead } from './reports.service';

/** One CSV table per report: what a spreadsheet needs to redraw the report's chart. */
export const reportCsv = {
  funnel: (r: FunnelReport) =>
    toCsv(
      ['stage', 'deals', 'reached', 'conversion_from_previous', 'conversion_from_first', 'lost_here'],
      r.steps.map((s) => [s.stage, s.deals, s.reached, s.conversionFromPrevious, s.conversionFromFirst, s.lostHere]),
    ),
  sources: (r: LeadSourcesReport) =>
    toCsv(
      ['group', 'channel', 'utm_source', 'utm_campaign', 'leads', 'won', 'lost', 'conversion', 'revenue'],
      [
        ...r.byChannel.map((s) => ['channel', s.channel, null, null, s.leads, s.won, s.lost, s.conversion, s.revenue]),
        ...r.byUtm.map((s) => ['utm', null, s.utmSource, s.utmCampaign, s.leads, s.won, s.lost, s.conversion, s.revenue]),
        ['total', null, null, null, r.totals.leads, r.totals.won, r.totals.lost, r.totals.conversion, r.totals.revenue],
      ],
    ),
  managers: (r: ManagersReport) =>
    toCsv(
      [
        'manager_id', 'name', 'leads_assigned', 'calls_made', 'calls_answered', 'calls_missed', 'talk_seconds', 'avg_first_response_seconds',
        'p90_first_response_seconds', 'called_back_within_sla', 'called_back_within_sla_share', 'won', 'lost', 'open_tasks', 'overdue_tasks',
      ],
      r.managers.map((m) => [
        m.managerId, m.name, m.leadsAssigned, m.callsMade, m.callsAnswered, m.callsMissed, m.talkSeconds, m.avgFirstResponseSeconds,
        m.p90FirstResponseSeconds, m.calledBackWithinSla, m.calledBackWithinSlaShare, m.won, m.lost, m.openTasks, m.overdueTasks,
      ]),
    ),
  sla: (r: SlaReport) =>
    toCsv(
      ['date', 'leads', 'answered', 'answered_within_sla', 'share'],
      r.days.map((d) => [d.date, d.leads, d.answered, d.answeredWithinSla, d.share]),
    ),
  unanswered: (items: UnansweredLead[]) =>
    toCsv(
      ['deal_id', 'contact_id', 'contact_name', 'owner_id', 'owner_name', 'stage', 'source_channel', 'created_at'],
      items.map((u) => [u.dealId, u.contactId, u.contactName, u.ownerId, u.ownerName, u.stage, u.sourceChannel, u.createdAt]),
    ),
};
