import { useState } from 'react';
import { ApiError, readCookie } from '../../api';
import { useI18n, type MessageKey } from '../../i18n';
import { ErrorNote, Section } from '../../ui';

interface Inspection {
  format: string;
  encoding: string | null;
  headers: string[];
  rowCount: number;
  sample: Array<Record<string, string>>;
  suggestedMapping: Record<string, string>;
  fields: string[];
}
type RowOutcome = { row: number; outcome: 'created' | 'merged' | 'skipped'; reason?: string; mergedIntoRow?: number };
interface ImportResult {
  dryRun: boolean;
  totals: { rows: number; created: number; merged: number; skipped: number; deals: number; notes: number; companiesCreated: number };
  rows: RowOutcome[];
  rowsTruncated: boolean;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ROWS_SHOWN = 200;

/** Sends the file as it is (the import API reads CSV in any common encoding, or XLSX) with the session's CSRF header. */
async function sendFile<T>(path: string, file: File): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': file.name.toLowerCase().endsWith('.xlsx') ? XLSX : 'text/csv' };
  const csrf = readCookie('leadline_csrf');
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method: 'POST', headers, body: file, credentials: 'same-origin' });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, (body as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`, body);
  return body as T;
}

/**
 * The import wizard over the import API: upload a CSV or XLSX, check the suggested column mapping, see
 * what each row would become (a dry run, nothing written), import, and read the result.
 */
export function ImportTab() {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const step = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const query = () => `?mapping=${encodeURIComponent(JSON.stringify(mapping))}`;
  const inspect = (f: File) =>
    step(async () => {
      setFile(f);
      setPreview(null);
      setResult(null);
      const found = await sendFile<Inspection>('/api/import/inspect', f);
      setInspection(found);
      setMapping(found.suggestedMapping);
    });
  const fieldLabel = (f: string) => {
    const key = `import.field.${f}`;
    return t(key as MessageKey) === key ? f : t(key as MessageKey);
  };

  return (
    <div className="stack" data-testid="import-wizard">
      <Section title={t('import.upload')}>
        <label>
          {t('import.file')}
          <input type="file" accept=".csv,.tsv,.txt,.xlsx,text/csv" disabled={busy} onChange={(e) => e.target.files?.[0] && inspect(e.target.files[0])} data-testid="import-file" />
        </label>
        <p className="muted small">{t('import.hint')}</p>
      </Section>
      {error ? <ErrorNote error={error} /> : null}
      {inspection && file && (
        <Section title={t('import.mapping', { n: inspection.rowCount })}>
          <div className="table-wrap">
            <table className="table" data-testid="import-mapping">
              <thead>
                <tr>
                  <th>{t('import.column')}</th>
                  <th>{t('import.example')}</th>
                  <th>{t('import.field')}</th>
                </tr>
              </thead>
              <tbody>
                {inspection.headers.map((h) => (
                  <tr key={h}>
                    <td>{h}</td>
                    <td className="muted break">{inspection.sample[0]?.[h] ?? ''}</td>
                    <td>
                      <select
                        aria-label={`${t('import.field')}: ${h}`}
                        value={mapping[h] ?? 'skip'}
                        onChange={(e) => {
                          setMapping({ ...mapping, [h]: e.target.value });
                          setPreview(null);
                        }}
                      >
                        <option value="skip">{t('import.skip')}</option>
                        {inspection.fields.map((f) => (
                          <option key={f} value={f}>
                            {fieldLabel(f)}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row">
            <button type="button" className="primary" disabled={busy} onClick={() => step(async () => setPreview(await sendFile<ImportResult>(`/api/import/preview${query()}`, file)))} data-testid="import-preview">
              {t('import.previewButton')}
            </button>
          </div>
        </Section>
      )}
      {preview && file && !result && (
        <Section title={t('import.previewTitle')}>
          <Totals result={preview} />
          <Outcomes rows={preview.rows} />
          <button type="button" className="primary" disabled={busy || preview.totals.created + preview.totals.merged === 0} onClick={() => step(async () => setResult(await sendFile<ImportResult>(`/api/import${query()}`, file)))} data-testid="import-run">
            {t('import.run', { n: preview.totals.created + preview.totals.merged })}
          </button>
        </Section>
      )}
      {result && (
        <Section title={t('import.done')}>
          <div data-testid="import-result">
            <Totals result={result} />
          </div>
          <Outcomes rows={result.rows.filter((r) => r.outcome === 'skipped')} />
        </Section>
      )}
    </div>
  );
}

function Totals({ result }: { result: ImportResult }) {
  const { t } = useI18n();
  const x = result.totals;
  return (
    <dl className="totals" data-testid="import-totals">
      {(
        [
          ['import.rows', x.rows],
          ['import.created', x.created],
          ['import.merged', x.merged],
          ['import.skipped', x.skipped],
          ['import.deals', x.deals],
        ] as Array<[MessageKey, number]>
      ).map(([k, n]) => (
        <div key={k}>
          <dt>{t(k)}</dt>
          <dd>{n}</dd>
        </div>
      ))}
    </dl>
  );
}

function Outcomes({ rows }: { rows: RowOutcome[] }) {
  const { t } = useI18n();
  if (rows.length === 0) return null;
  return (
    <>
      <ul className="list" data-testid="import-rows">
        {rows.slice(0, ROWS_SHOWN).map((r) => (
          <li key={r.row} className="row wrap" data-outcome={r.outcome}>
            <span className="muted">{t('import.row', { n: r.row })}</span>
            <span className={`pill ${r.outcome === 'skipped' ? 'status-failed' : r.outcome === 'created' ? 'ok' : ''}`}>{t(`import.outcome.${r.outcome}` as MessageKey)}</span>
            {r.reason && <span className="small grow">{r.reason}</span>}
          </li>
        ))}
      </ul>
      {rows.length > ROWS_SHOWN && <p className="muted small">{t('import.more', { n: rows.length - ROWS_SHOWN })}</p>}
    </>
  );
}
