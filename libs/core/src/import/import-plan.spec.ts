import iconv from 'iconv-lite';
import { decodeText, detectDelimiter } from './import-file';
import { suggestMapping } from './import-mapping';
import { parseAmount, parseStage } from './import-plan';

describe('import parsing', () => {
  it('reads amounts as people type them', () => {
    expect(parseAmount('15 000,50')).toBe(15000.5);
    expect(parseAmount('1,234.56')).toBe(1234.56);
    expect(parseAmount('$1500')).toBe(1500);
    expect(parseAmount('2 500 ₽')).toBe(2500);
    expect(parseAmount('12,5')).toBe(12.5);
    expect(parseAmount('abc')).toBeNull();
    expect(parseAmount('-5')).toBeNull();
  });

  it('maps stage names in English and Russian to pipeline stages', () => {
    expect(parseStage('Предложение')).toBe('proposal');
    expect(parseStage('closed won')).toBe('won');
    expect(parseStage('first_contact')).toBe('first_contact');
    expect(parseStage('ОТКАЗ')).toBe('lost');
    expect(parseStage('archived')).toBeNull();
  });

  it('detects the delimiter from the header line, ignoring quoted separators', () => {
    expect(detectDelimiter('a;b;c\n1,2;3;4')).toBe(';');
    expect(detectDelimiter('"x;y",b,c\n')).toBe(',');
    expect(detectDelimiter('a\tb\n')).toBe('\t');
    expect(detectDelimiter('single\n')).toBe(',');
  });

  it('decodes UTF-8 with and without BOM, UTF-16 with BOM and windows-1251', () => {
    expect(decodeText(Buffer.from('\ufeffИмя', 'utf8'))).toEqual({ text: 'Имя', encoding: 'utf-8' });
    expect(decodeText(Buffer.from('Имя', 'utf8'))).toEqual({ text: 'Имя', encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Имя', 'utf16le')]))).toEqual({ text: 'Имя', encoding: 'utf-16le' });
    expect(decodeText(iconv.encode('Имя;Телефон', 'windows-1251'))).toEqual({ text: 'Имя;Телефон', encoding: 'windows-1251' });
    expect(() => decodeText(Buffer.from([0x41, 0x89, 0x99, 0x86]))).toThrow(/neither UTF-8 nor windows-1251/);
  });

  it('suggests a mapping from header names; a single-value field goes to its first column only', () => {
    expect(suggestMapping(['Имя', 'Фамилия', 'Мобильный телефон', 'Рабочий телефон', 'Email', 'E-mail 2', 'Имя (2)', 'Whatever'])).toEqual({
      Имя: 'name',
      Фамилия: 'lastName',
      'Мобильный телефон': 'phone',
      'Рабочий телефон': 'phone',
      Email: 'email',
      'E-mail 2': 'email',
      'Имя (2)': 'skip',
      Whatever: 'skip',
    });
  });
});
