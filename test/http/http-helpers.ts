import type { InjectResponse, TestHub } from '../support/test-hub';

/** Lifts the per-IP form rate limit (10/min by default) on every form so a file can post many leads. */
export async function raiseFormRateLimit(hub: TestHub): Promise<void> {
  const admin = await hub.adminToken();
  const forms = await hub.request({ url: '/api/forms', token: admin });
  expect(forms.status).toBe(200);
  for (const f of forms.body) {
    const res = await hub.request({ method: 'PATCH', url: `/api/forms/${f.id}`, token: admin, body: { rateLimitPerMinute: 10_000 } });
    expect(res.status).toBe(200);
  }
}

let phoneSeq = 0;
/** A valid Russian mobile number, different on every call (in E.164 and as typed). */
export function nextPhone(): { typed: string; e164: string } {
  phoneSeq++;
  const tail = String(phoneSeq).padStart(7, '0');
  return { typed: `+7 (912) ${tail.slice(0, 3)}-${tail.slice(3, 5)}-${tail.slice(5)}`, e164: `+7912${tail}` };
}

export interface Lead {
  leadId: string;
  contactId: string;
  dealId: string;
  taskId: string;
}

/** Posts a form lead and expects it to be accepted as new. */
export async function postLead(hub: TestHub, fields: Record<string, unknown>): Promise<Lead> {
  const res = await hub.postForm(fields);
  if (res.status !== 201) throw new Error(`lead not created: ${res.status} ${res.text}`);
  return res.body;
}

/** Makes exactly one of `managerIds` available for round robin (or none with null). */
export async function onlyAvailable(hub: TestHub, managerIds: string[], availableId: string | null): Promise<void> {
  const admin = await hub.adminToken();
  // Pause first, then resume the chosen one, so a resume never drains the queue to the wrong manager.
  for (const id of managerIds.filter((m) => m !== availableId)) {
    const res = await hub.request({ method: 'PATCH', url: `/api/managers/${id}`, token: admin, body: { available: false } });
    expect(res.status).toBe(200);
  }
  if (availableId) {
    const res = await hub.request({ method: 'PATCH', url: `/api/managers/${availableId}`, token: admin, body: { available: true } });
    expect(res.status).toBe(200);
  }
}

/** The JSON error body every failing API call answers with. */
export function expectError(res: InjectResponse, status: number, error: string, fields?: string[]): void {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error });
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(0);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  if (fields) {
    expect(Object.keys(res.body.fields ?? {}).sort()).toEqual([...fields].sort());
    for (const f of fields) expect(typeof res.body.fields[f]).toBe('string');
  }
}

export const MISSING_ID = '00000000-0000-4000-8000-000000000000';
