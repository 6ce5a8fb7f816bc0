import { splitText, TEXT_LIMIT } from './text-split';

describe('splitText', () => {
  it('keeps a short text whole', () => {
    expect(splitText('Hello')).toEqual(['Hello']);
  });

  it('cuts at paragraph, then line, then sentence, then word boundaries, never over the limit', () => {
    const para = 'A'.repeat(3000);
    expect(splitText(`${para}\n\n${'B'.repeat(3000)}`)).toEqual([para, 'B'.repeat(3000)]);
    expect(splitText(`${para}\n${'C'.repeat(3000)}`)).toEqual([para, 'C'.repeat(3000)]);
    const sentences = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const parts = splitText(sentences);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(TEXT_LIMIT);
      expect(p.endsWith('.')).toBe(true);
    }
    expect(parts.join(' ')).toBe(sentences);
    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ');
    const wordParts = splitText(words);
    expect(wordParts.join(' ')).toBe(words);
    for (const p of wordParts) expect(p.length).toBeLessThanOrEqual(TEXT_LIMIT);
  });

  it('cuts an endless word at the limit without splitting a surrogate pair', () => {
    const emoji = '😀'.repeat(3000);
    const parts = splitText(emoji);
    expect(parts.join('')).toBe(emoji);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(TEXT_LIMIT);
      expect(p.codePointAt(p.length - 2)).toBe(0x1f600);
    }
  });
});
