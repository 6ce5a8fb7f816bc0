import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import { Dialog } from '../../cockpit/Dialog';
import { useI18n } from '../../i18n';
import { ErrorNote } from '../../ui';

interface ManagedForm {
  id: string;
  name: string;
  active: boolean;
}

/**
 * Rename, disable/enable and delete a form. Deleting asks first; the hub refuses (409) a form that
 * brought leads — it stays for their history and reports — so the dialog then offers to disable it.
 */
export function FormManage({ form, onChanged, onDeleted }: { form: ManagedForm; onChanged: () => void; onDeleted: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(form.name);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [refusedForLeads, setRefusedForLeads] = useState(false);

  const patch = async (body: Partial<ManagedForm>) => {
    try {
      await api(`/api/forms/${form.id}`, { method: 'PATCH', body });
      setError(null);
    } catch (err) {
      setError(err);
    }
    onChanged();
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && name.trim() !== form.name) void patch({ name: name.trim() });
  };
  const remove = async () => {
    try {
      await api(`/api/forms/${form.id}`, { method: 'DELETE' });
      setConfirming(false);
      onDeleted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) setRefusedForLeads(true);
      else setError(err);
    }
  };
  const close = () => {
    setConfirming(false);
    setRefusedForLeads(false);
  };

  return (
    <div className="stack" data-testid="form-manage">
      {error ? <ErrorNote error={error} /> : null}
      <form className="row wrap" onSubmit={rename}>
        <input aria-label={t('formManage.name')} value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={!name.trim() || name.trim() === form.name}>
          {t('formManage.rename')}
        </button>
        <span className="grow" />
        <span className={form.active ? 'pill ok' : 'pill status-disabled'} data-testid="form-state">
          {t(form.active ? 'formManage.active' : 'formManage.disabled')}
        </span>
        <button type="button" onClick={() => patch({ active: !form.active })}>
          {t(form.active ? 'formManage.disable' : 'formManage.enable')}
        </button>
        <button type="button" className="danger-button" onClick={() => setConfirming(true)}>
          {t('formManage.delete')}
        </button>
      </form>
      {!form.active && <div className="muted small">{t('formManage.disabledHint')}</div>}
      {confirming && (
        <Dialog title={t('formManage.deleteTitle', { name: form.name })} onClose={close} testId="form-delete-dialog">
          {refusedForLeads ? (
            <>
              <p role="alert">{t('formManage.hasLeads')}</p>
              <div className="row wrap">
                <button type="button" onClick={close}>
                  {t('cancel')}
                </button>
                {form.active && (
                  <button
                    type="button"
                    className="primary"
                    onClick={() => {
                      close();
                      void patch({ active: false });
                    }}
                  >
                    {t('formManage.disable')}
                  </button>
                )}
              </div>
            </>
          ) : (
            <>
              <p>{t('formManage.deleteText')}</p>
              <div className="row wrap">
                <button type="button" onClick={close}>
                  {t('cancel')}
                </button>
                <button type="button" className="danger-button" onClick={remove}>
                  {t('formManage.deleteConfirm')}
                </button>
              </div>
            </>
          )}
        </Dialog>
      )}
    </div>
  );
}
