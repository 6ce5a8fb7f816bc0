import { useEffect, useState } from 'react';
import { api, optionalApi, type Contact, type ContactDeal, type Pipeline } from '../api';
import { boardStages } from '../format';
import { useAsync } from '../hooks';
import { useI18n } from '../i18n';
import { Section, StageLabel } from '../ui';
import { formatMoney } from './money';
import { useStageChange } from './stageChange';

const CURRENCIES = ['RUB', 'USD', 'EUR', 'KZT', 'UZS', 'AZN', 'BYN', 'UAH', 'GBP', 'TRY', 'CNY', 'AED'];

/**
 * The contact's current deal (the open one, else the latest): its stage (lost asks why, a closed deal
 * reopens only after a confirmation) and what it is worth.
 */
export function DealPanel({ contact, onChanged }: { contact: Contact; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const deal: ContactDeal | undefined = contact.deals.find((d) => !d.closedAt) ?? contact.deals[0];
  const pipelines = useAsync(() => optionalApi<Pipeline[]>('/api/pipelines'), []);
  const { move, dialog, error } = useStageChange(onChanged);
  const [amount, setAmount] = useState(deal?.amount ?? '');
  const [currency, setCurrency] = useState(deal?.currency ?? (lang === 'ru' ? 'RUB' : 'USD'));
  const [saveError, setSaveError] = useState<string | null>(null);
  useEffect(() => {
    setAmount(deal?.amount ?? '');
    if (deal?.currency) setCurrency(deal.currency);
  }, [deal?.id, deal?.amount, deal?.currency]);

  if (!deal) {
    return (
      <Section title={t('contact.deal')}>
        <p className="muted">{t('contact.noDeal')}</p>
      </Section>
    );
  }
  const stages = boardStages(pipelines.data ?? null, deal.pipelineId);
  const current = stages.find((s) => (deal.stageId && s.id ? s.id === deal.stageId : s.key === deal.stage));
  const stageName = (key: string, name: string) => (t(`stage.${key}` as never) === `stage.${key}` ? name : t(`stage.${key}` as never));
  const saveAmount = async () => {
    try {
      await api(`/api/deals/${deal.id}/amount`, { method: 'PUT', body: { amount: amount.trim() === '' ? null : amount.trim(), currency: amount.trim() === '' ? null : currency } });
      setSaveError(null);
      onChanged();
    } catch (err) {
      setSaveError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <Section title={t('contact.deal')}>
      <div className="stack" data-testid="open-deal">
        {deal.title && <div>{deal.title}</div>}
        <label>
          {t('contact.stage')}
          <select
            value={current?.key ?? deal.stage}
            data-testid="stage-select"
            onChange={(e) => {
              const target = stages.find((s) => s.key === e.target.value);
              if (target) move({ id: deal.id, stage: deal.stage, stageId: deal.stageId, closedAt: deal.closedAt, contactName: contact.name }, target);
            }}
          >
            {!current && <option value={deal.stage}>{deal.stageName ?? deal.stage}</option>}
            {stages.map((s) => (
              <option key={s.key} value={s.key}>
                {stageName(s.key, s.name)}
              </option>
            ))}
          </select>
        </label>
        {deal.closedAt && <StageLabel stage={deal.stage} name={deal.stageName} />}
        {deal.lostReason && <div className="muted small">{t('contact.lostBecause', { reason: deal.lostReason })}</div>}
        <form
          className="amount-form"
          onSubmit={(e) => {
            e.preventDefault();
            void saveAmount();
          }}
        >
          <label className="grow">
            {t('contact.amount')}
            <input inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="deal-amount-input" placeholder="0" />
          </label>
          <label>
            {t('contact.currency')}
            <select value={currency} onChange={(e) => setCurrency(e.target.value)} data-testid="deal-currency">
              {[...new Set([currency, ...CURRENCIES])].map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">{t('save')}</button>
        </form>
        {deal.amount && <div className="small muted">{formatMoney(deal.amount, deal.currency ?? null, lang)}</div>}
        {(error || saveError) && (
          <p className="error" role="alert">
            {error ?? saveError}
          </p>
        )}
      </div>
      {dialog}
    </Section>
  );
}
