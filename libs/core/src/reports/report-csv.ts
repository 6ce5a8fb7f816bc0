import { toCsv } from './csv';
import type { FunnelReport, LeadSourcesReport, ManagersReport, SlaReport, UnansweredLead } from './reports.service';

export type CsvLang = 'en' | 'ru';

/**
 * Column titles and coded values (stages, channels, row groups) for a Russian reader; English keeps the
 * machine keys API consumers already parse.
 */
const RU: Record<string, string> = {
  stage: 'Этап', deals: 'Сделки', reached: 'Дошли', conversion_from_previous: 'Конверсия от предыдущего', conversion_from_first: 'Конверсия от первого',
  lost_here: 'Проиграны здесь', group: 'Группа', channel: 'Канал', utm_source: 'Источник (utm_source)', utm_campaign: 'Кампания (utm_campaign)',
  leads: 'Лиды', won: 'Выиграны', lost: 'Проиграны', conversion: 'Конверсия', revenue: 'Выручка', manager_id: 'ID менеджера', name: 'Имя',
  leads_assigned: 'Назначено лидов', calls_made: 'Звонков', calls_answered: 'Отвеченных звонков', calls_missed: 'Пропущенных звонков',
  talk_seconds: 'Разговор, с', avg_first_response_seconds: 'Среднее время ответа, с', p90_first_response_seconds: 'Время ответа p90, с',
  called_back_within_sla: 'Перезвонили вовремя', called_back_within_sla_share: 'Доля вовремя', open_tasks: 'Открытых задач',
  overdue_tasks: 'Просроченных задач', date: 'Дата', answered: 'Ответили', answered_within_sla: 'Ответили вовремя', share: 'Доля',
  deal_id: 'ID сделки', contact_id: 'ID контакта', contact_name: 'Контакт', owner_id: 'ID ответственного', owner_name: 'Ответственный',
  source_channel: 'Канал', created_at: 'Создана',
};
const RU_VALUES: Record<string, string> = {
  new: 'Новая', first_contact: 'Первый контакт', qualified: 'Квалифицирована', proposal: 'Предложение', won: 'Выиграна', lost: 'Проиграна',
  web_form: 'Веб-форма', email: 'Email', telegram: 'Telegram', phone: 'Телефон', utm: 'UTM', total: 'Итого',
};

const head = (keys: string[], lang: CsvLang) => (lang === 'ru' ? keys.map((k) => RU[k] ?? k) : keys);
const val = (v: string | null, lang: CsvLang) => (lang === 'ru' && v !== null ? (RU_VALUES[v] ?? v) : v);

/**
 * One CSV table per report: what a spreadsheet needs to redraw the report's chart. Starts with a UTF-8
 * BOM, without which Excel reads Cyrillic names as mojibake.
 */
export const reportCsv = {
  funnel: (r: FunnelReport, lang: CsvLang = 'en') =>
    toCsv(
      head(['stage', 'deals', 'reached', 'conversion_from_previous', 'conversion_from_first', 'lost_here'], lang),
      r.steps.map((s) => [val(s.stage, lang), s.deals, s.reached, s.conversionFromPrevious, s.conversionFromFirst, s.lostHere]),
    ),
  sources: (r: LeadSourcesReport, lang: CsvLang = 'en') =>
    toCsv(
      head(['group', 'channel', 'utm_source', 'utm_campaign', 'leads', 'won', 'lost', 'conversion', 'revenue'], lang),
      [
        ...r.byChannel.map((s) => [val('channel', lang), val(s.channel, lang), null, null, s.leads, s.won, s.lost, s.conversion, s.revenue]),
        ...r.byUtm.map((s) => [val('utm', lang), null, s.utmSource, s.utmCampaign, s.leads, s.won, s.lost, s.conversion, s.revenue]),
        [val('total', lang), null, null, null, r.totals.leads, r.totals.won, r.totals.lost, r.totals.conversion, r.totals.revenue],
      ],
    ),
  managers: (r: ManagersReport, lang: CsvLang = 'en') =>
    toCsv(
      head([
        'manager_id', 'name', 'leads_assigned', 'calls_made', 'calls_answered', 'calls_missed', 'talk_seconds', 'avg_first_response_seconds',
        'p90_first_response_seconds', 'called_back_within_sla', 'called_back_within_sla_share', 'won', 'lost', 'open_tasks', 'overdue_tasks',
      ], lang),
      r.managers.map((m) => [
        m.managerId, m.name, m.leadsAssigned, m.callsMade, m.callsAnswered, m.callsMissed, m.talkSeconds, m.avgFirstResponseSeconds,
        m.p90FirstResponseSeconds, m.calledBackWithinSla, m.calledBackWithinSlaShare, m.won, m.lost, m.openTasks, m.overdueTasks,
      ]),
    ),
  sla: (r: SlaReport, lang: CsvLang = 'en') =>
    toCsv(
      head(['date', 'leads', 'answered', 'answered_within_sla', 'share'], lang),
      r.days.map((d) => [d.date, d.leads, d.answered, d.answeredWithinSla, d.share]),
    ),
  unanswered: (items: UnansweredLead[], lang: CsvLang = 'en') =>
    toCsv(
      head(['deal_id', 'contact_id', 'contact_name', 'owner_id', 'owner_name', 'stage', 'source_channel', 'created_at'], lang),
      items.map((u) => [u.dealId, u.contactId, u.contactName, u.ownerId, u.ownerName, val(u.stage, lang), val(u.sourceChannel, lang), u.createdAt]),
    ),
};
