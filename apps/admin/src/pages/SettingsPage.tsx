import { useI18n } from '../i18n';
import { navigate, useRoute } from '../router';
import { AuditLogTab } from './AuditLogTab';
import { FormsTab } from './FormsTab';
import { PersonalDataTab } from './PersonalDataTab';
import { ChannelsTab } from './settings/ChannelsTab';
import { ImportTab } from './settings/ImportTab';
import { ManagersTab } from './settings/ManagersTab';
import { OutboxTab } from './settings/OutboxTab';

type Tab = 'managers' | 'forms' | 'channels' | 'outbox' | 'import' | 'audit' | 'privacy';
const TABS: Tab[] = ['managers', 'forms', 'channels', 'outbox', 'import', 'audit', 'privacy'];

export function SettingsPage() {
  const { t } = useI18n();
  const { path } = useRoute();
  const tab = (TABS.find((x) => path === `/settings/${x}`) ?? 'managers') as Tab;
  return (
    <div className="stack">
      <h1>{t('settings.title')}</h1>
      <div className="tabs" role="tablist">
        {TABS.map((x) => (
          <button key={x} type="button" role="tab" aria-selected={tab === x} className={tab === x ? 'active' : ''} onClick={() => navigate(`/settings/${x}`)}>
            {t(`settings.${x}`)}
          </button>
        ))}
      </div>
      {tab === 'managers' && <ManagersTab />}
      {tab === 'forms' && <FormsTab />}
      {tab === 'channels' && <ChannelsTab />}
      {tab === 'outbox' && <OutboxTab />}
      {tab === 'import' && <ImportTab />}
      {tab === 'audit' && <AuditLogTab />}
      {tab === 'privacy' && <PersonalDataTab />}
    </div>
  );
}
