import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { parseEmail } from './email-parser';
import { detectCharset } from './raw-headers';

const DIR = join(__dirname, '__fixtures__', 'raw-8bit');

describe('raw 8-bit headers (no RFC 2047) from old mailers', () => {
  it.each([
    ['outlook-express-1251.eml', 'Сергей Николаевич', 'Прайс на металлопрокат'],
    ['php-mail-koi8r.eml', 'Татьяна Ершова', 'Вопрос по доставке'],
    ['raw-utf8.eml', 'Алия Нурланова', 'Заявка на обучение'],
  ])('%s: From name and Subject decoded', async (file, name, subject) => {
    const mail = await parseEmail(readFileSync(join(DIR, file)));
    expect(mail.from?.name).toBe(name);
    expect(mail.subject).toBe(subject);
    expect(`${mail.from?.name}${mail.subject}${mail.text}`).not.toMatch(/\uFFFD/);
  });

  it('leaves the body as the message declares it', async () => {
    const mail = await parseEmail(readFileSync(join(DIR, 'outlook-express-1251.eml')));
    expect(mail.text).toBe('Добрый день! Пришлите прайс, пожалуйста.');
    expect(mail.from?.address).toBe('sergey.n@example.ru');
  });
});

describe('detectCharset', () => {
  it('keeps Western names Western', () => {
    expect(detectCharset(iconv.encode('From: José Müller <jose@example.es>', 'latin1'), null)).toMatch(/iso-8859-1|windows-1252/);
  });
  it('tells windows-1251 from KOI8-R on a short name', () => {
    expect(detectCharset(iconv.encode('Subject: Олег', 'win1251'), null)).toBe('windows-1251');
    expect(detectCharset(iconv.encode('Subject: Олег', 'koi8-r'), null)).toBe('koi8-r');
  });
});
