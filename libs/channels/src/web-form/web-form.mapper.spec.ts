import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormValidationError, mapFormSubmission, type FormSubmission } from './web-form.mapper';

const fixture = (name: string): FormSubmission => JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));

describe('mapFormSubmission', () => {
  it('maps a Tilda-style urlencoded post with UTM tags in the page URL', () => {
    const event = mapFormSubmission(fixture('tilda-urlencoded.json'), 'RU');
    expect(event.channel).toBe('web_form');
    expect(event.contact).toEqual({ name: 'Анна Петрова', phones: ['8 (999) 123-45-67'], emails: ['anna@example.com'] });
    expect(event.message).toEqual({ text: 'Перезвоните, пожалуйста' });
    expect(event.source).toMatchObject({
      formName: 'Website form',
      page: 'https://shop.example.com/landing?utm_source=yandex&utm_medium=cpc&utm_campaign=winter',
      utm: { source: 'yandex', medium: 'cpc', campaign: 'winter' },
    });
    // Every other field is kept; the honeypot and mapped fields are not repeated.
    expect(event.fields).toEqual({ tranid: '1234567:890', formid: 'form12345', city: 'Ташкент' });
    // Tilda's transaction id is the idempotency key: a resent webhook is the same lead.
    expect(event.externalId).toBe('key:form-1:tilda:1234567:890');
    expect(event.dedupeKey).toBeUndefined();
  });

  it('maps a JSON post with body UTM, first/last name and an idempotency key', () => {
    const event = mapFormSubmission(fixture('json-with-key.json'), 'RU');
    expect(event.contact.name).toBe('John Smith');
    expect(event.contact.phones).toEqual([]);
    expect(event.contact.emails).toEqual(['john@example.com']);
    expect(event.source?.utm).toEqual({ source: 'google', campaign: 'brand' });
    expect(event.source?.referrer).toBe('https://google.com/');
    expect(event.externalId).toBe('key:form-1:order-42');
    expect(event.dedupeKey).toBeUndefined();
  });

  it('treats the same fields in another order as the same submission', () => {
    const { tranid: _t, ...body } = fixture('tilda-urlencoded.json').body;
    const a = { ...fixture('tilda-urlencoded.json'), body };
    const b = { ...a, submissionId: 'other', body: Object.fromEntries(Object.entries(a.body).reverse()) };
    expect(mapFormSubmission(a, 'RU').dedupeKey).toBe(mapFormSubmission(b, 'RU').dedupeKey);
    const c = { ...a, body: { ...a.body, Phone: '8 (999) 765-43-21' } };
    expect(mapFormSubmission(c, 'RU').dedupeKey).not.toBe(mapFormSubmission(a, 'RU').dedupeKey);
  });

  it('names both fields when neither a valid phone nor a valid email is given', () => {
    const s = fixture('json-with-key.json');
    try {
      mapFormSubmission({ ...s, body: { name: 'x', phone: '12', email: 'nope' } }, 'RU');
      throw new Error('expected a validation error');
    } catch (e) {
      expect(e).toBeInstanceOf(FormValidationError);
      expect((e as FormValidationError).fields).toEqual({ phone: 'not a valid phone number', email: 'not a valid email address' });
    }
  });

  it('accepts a valid phone with an invalid email (and drops the email)', () => {
    const s = fixture('json-with-key.json');
    const event = mapFormSubmission({ ...s, body: { phone: '+998 90 123 45 67', email: 'nope' } }, 'RU');
    expect(event.contact.phones).toEqual(['+998 90 123 45 67']);
    expect(event.contact.emails).toEqual([]);
  });
});
