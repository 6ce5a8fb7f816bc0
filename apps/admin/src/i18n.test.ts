import { describe, expect, it } from 'vitest';
import { en } from './i18n.en';
import { initialLang, translate } from './i18n';
import { ru } from './i18n.ru';

describe('i18n', () => {
  it('has a Russian text for every English key and nothing left untranslated by accident', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(ru)) expect(v, k).not.toBe('');
  });

  it('fills in variables', () => {
    expect(translate('en', 'inbox.newBadge', { n: 3 })).toBe('3 new');
    expect(translate('ru', 'timeline.reason', { reason: 'дорого' })).toBe('Причина: дорого');
  });

  it('remembers the chosen language, else follows the browser', () => {
    expect(initialLang({ getItem: () => 'ru' }, ['en-US'])).toBe('ru');
    expect(initialLang({ getItem: () => null }, ['ru-RU', 'en'])).toBe('ru');
    expect(initialLang({ getItem: () => null }, ['de-DE'])).toBe('en');
    expect(initialLang({ getItem: () => 'xx' }, [])).toBe('en');
  });
});
