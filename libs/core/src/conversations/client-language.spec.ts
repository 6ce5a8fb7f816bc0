import { FRESH_THREAD_SUBJECT, languageOfText } from './client-language';

describe('languageOfText', () => {
  it('tells Russian from English by the majority of letters', () => {
    expect(languageOfText('Нужно 30 стульев к пятнице')).toBe('ru');
    expect(languageOfText('Хочу купить iPhone 15 Pro')).toBe('ru');
    expect(languageOfText('I need 30 chairs by Friday')).toBe('en');
  });
  it('says nothing when there are too few letters', () => {
    expect(languageOfText('+7 999 123-45-67')).toBeNull();
    expect(languageOfText('ok')).toBeNull();
    expect(languageOfText(null)).toBeNull();
  });
  it('has a subject for each language', () => {
    expect(FRESH_THREAD_SUBJECT).toEqual({ en: 'Your enquiry', ru: 'Ваше обращение' });
  });
});
