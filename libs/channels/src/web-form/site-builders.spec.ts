import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suggestFieldTarget } from './form-fields';
import { mapFormSubmission, type FormSubmission } from './web-form.mapper';

const raw = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
/** As our urlencoded parser hands it over: flat keys, repeated keys as arrays. */
const urlencoded = (name: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw(name))) out[k] = k in out ? [out[k], v].flat() : v;
  return out;
};
const submission = (body: Record<string, unknown>, extra: Partial<FormSubmission> = {}): FormSubmission => ({
  formId: 'form-1',
  formName: 'Site',
  submissionId: '00000000-0000-4000-8000-000000000001',
  honeypotField: '_gotcha',
  body,
  receivedAt: '2026-11-23T10:00:00.000Z',
  ...extra,
});

describe('site-builder payloads', () => {
  it('Tilda webhook: Name/Phone/Email, custom fields kept, tranid as the idempotency key', () => {
    const e = mapFormSubmission(submission(urlencoded('tilda-webhook.urlencoded')), 'RU');
    expect(e.contact).toEqual({ name: 'Анна Петрова', phones: ['+7 (912) 555-01-01'], emails: ['anna.tilda@example.com'] });
    expect(e.externalId).toBe('key:form-1:tilda:7318235:5410980017');
    expect(e.fields).toEqual({ город: 'Казань', textarea: 'Перезвоните вечером', tranid: '7318235:5410980017', formid: 'form491837220' });
  });

  it('Contact Form 7 (CF7 to Webhook): your-* tags, your-tel by its words, arrays joined', () => {
    const e = mapFormSubmission(submission(JSON.parse(raw('cf7-to-webhook.json'))), 'RU');
    expect(e.contact).toEqual({ name: 'Ivan Sidorov', phones: ['+7 912 555-02-02'], emails: ['ivan.cf7@example.com'] });
    expect(e.message?.text).toBe('Please send the price list for 2027.');
    expect(e.fields).toEqual({ 'your-subject': 'Wholesale price list', services: 'Delivery, Installation', 'acceptance-267': '1' });
  });

  it('Elementor advanced data: fields by id or label, page URL from meta with its UTM and click id', () => {
    const e = mapFormSubmission(submission(urlencoded('elementor-advanced.urlencoded')), 'RU');
    expect(e.contact).toEqual({ name: 'Olga Ivanova', phones: ['8 912 555-03-03'], emails: ['olga.elementor@example.com'] });
    expect(e.message?.text).toBe('Need a quote for 40 units');
    expect(e.source).toMatchObject({
      page: 'https://wp.example.com/contact/?utm_source=facebook&utm_campaign=autumn&fbclid=IwAR0abc123',
      utm: { source: 'facebook', campaign: 'autumn' },
      clickIds: { fbclid: 'IwAR0abc123' },
    });
    expect(e.fields).toMatchObject({ company: 'ООО Ромашка', form_name: 'Contact form', form_id: '4a1b2c3', meta_date: 'November 23, 2026' });
    // The visitor's IP is not kept as a lead field.
    expect(JSON.stringify(e.fields)).not.toContain('203.0.113.7');
  });

  it('Elementor simple mode: labels as names (Телефон), form name kept, not taken for the person', () => {
    const e = mapFormSubmission(submission(urlencoded('elementor-simple.urlencoded')), 'RU');
    expect(e.contact).toEqual({ name: 'Olga Simple', phones: ['8 912 555-04-04'], emails: ['olga.simple@example.com'] });
    expect(e.fields).toEqual({ form_id: '4a1b2c3', form_name: 'Contact form' });
  });
});

describe('generic field mapping', () => {
  it('suggests lead fields from English and Russian names', () => {
    expect(
      Object.fromEntries(
        ['Телефон', 'tel', 'phone_number', 'your-phone', 'Ваш телефон', 'Номер телефона', 'E-mail', 'Электронная почта', 'your-name', 'Имя', 'ФИО', 'Компания', 'company_name', 'Комментарий', 'budget', 'hotel'].map((n) => [
          n,
          suggestFieldTarget(n),
        ]),
      ),
    ).toEqual({
      Телефон: 'phone',
      tel: 'phone',
      phone_number: 'phone',
      'your-phone': 'phone',
      'Ваш телефон': 'phone',
      'Номер телефона': 'phone',
      'E-mail': 'email',
      'Электронная почта': 'email',
      'your-name': 'name',
      Имя: 'name',
      ФИО: 'name',
      Компания: 'company',
      company_name: 'company',
      Комментарий: 'message',
      budget: null,
      hotel: null,
    });
  });

  it("applies the admin's mapping over the names it knows and keeps every unmapped field", () => {
    const body = { contact_no: '+7 912 555-05-05', who: 'Pavel', text: 'ACME Ltd', notes: 'Urgent', budget: '100k' };
    const e = mapFormSubmission(submission(body, { fieldMap: { contact_no: 'phone', who: 'name', text: 'company', notes: 'message' } }), 'RU');
    expect(e.contact).toEqual({ name: 'Pavel', phones: ['+7 912 555-05-05'], emails: [] });
    expect(e.message?.text).toBe('Urgent');
    expect(e.fields).toEqual({ company: 'ACME Ltd', budget: '100k' });
  });

  it('carries attribution: landing page tags and click ids, referrer, page of submission, test mark', () => {
    const e = mapFormSubmission(
      submission(
        { phone: '+7 912 555-06-06', page: 'https://site.example/contact', landing_page: 'https://site.example/?utm_source=google&gclid=Cj0KCQ', referrer: 'https://www.google.com/', _fill_ms: '5400', _lang: 'ru' },
        { test: true },
      ),
      'RU',
    );
    expect(e.source).toEqual({
      formId: 'form-1',
      formName: 'Site',
      utm: { source: 'google' },
      clickIds: { gclid: 'Cj0KCQ' },
      page: 'https://site.example/contact',
      referrer: 'https://www.google.com/',
      landing: 'https://site.example/?utm_source=google&gclid=Cj0KCQ',
      test: true,
    });
    expect(e.fields).toEqual({});
  });
});
