import { describe, expect, it } from 'vitest';
import { formSnippet, spamFields } from './pages/FormsTab';

describe('the copy-paste form snippet', () => {
  const form = { key: 'f_abc', endpoint: 'https://hub.example/api/inbound/forms/f_abc', snippetUrl: 'https://hub.example/forms/f_abc.js', honeypotField: '_gotcha' };

  it('is a plain form that posts without JavaScript, enhanced by the hub script', () => {
    const html = formSnippet(form, 'en');
    expect(html).toContain('<form data-leadline="f_abc" action="https://hub.example/api/inbound/forms/f_abc" method="post" enctype="multipart/form-data">');
    expect(html).toContain('<input name="_gotcha" style="display:none" tabindex="-1" autocomplete="off" aria-hidden="true">');
    expect(html).toContain('<button type="submit">Send</button>');
    expect(html.trim().endsWith('<script src="https://hub.example/forms/f_abc.js" async></script>')).toBe(true);
    // Parses as the markup it claims to be.
    const doc = new DOMParser().parseFromString(html, 'text/html');
    expect(doc.querySelector('form')?.getAttribute('action')).toBe(form.endpoint);
    expect([...doc.querySelectorAll('form [name]')].map((e) => e.getAttribute('name'))).toEqual(['name', 'phone', 'email', 'message', '_gotcha']);
  });

  it('in Russian for a Russian site', () => {
    const html = formSnippet(form, 'ru');
    expect(html).toContain('placeholder="Телефон"');
    expect(html).toContain('<button type="submit">Отправить</button>');
  });

  it('escapes what it puts into attributes', () => {
    const html = formSnippet({ ...form, endpoint: 'https://hub.example/x"><script>alert(1)</script>', honeypotField: 'a"b' }, 'en');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&quot;&gt;&lt;script&gt;');
    expect(html).toContain('name="a&quot;b"');
  });
});

describe('a held-back submission', () => {
  // The hub keeps the submission as received (any JSON): the list must not break on a shape it did not expect.
  it('shows the fields under body, and nothing for anything else', () => {
    expect(spamFields({ body: { name: 'Anna', phone: '+79991234567' } })).toEqual({ name: 'Anna', phone: '+79991234567' });
    expect(spamFields(null)).toEqual({});
    expect(spamFields('raw text')).toEqual({});
    expect(spamFields({ body: ['a', 'b'] })).toEqual({});
    expect(spamFields({})).toEqual({});
  });
});
