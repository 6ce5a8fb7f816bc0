import { readCsvRecords } from './csv-reader';

describe('readCsvRecords', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks, and numbers records by their first line', () => {
    const text = 'a;b;c\r\n"x;1";"say ""hi""";"two\nlines"\r\n\r\nlast; row ;\n';
    expect(readCsvRecords(text, ';')).toEqual({
      records: [
        ['a', 'b', 'c'],
        ['x;1', 'say "hi"', 'two\nlines'],
        ['last', 'row', ''],
      ],
      lines: [1, 2, 5],
    });
  });

  it('handles CR line ends, a BOM, a missing final newline and quotes inside unquoted fields', () => {
    expect(readCsvRecords('\ufeffa,b\r1,5" screen', ',').records).toEqual([
      ['a', 'b'],
      ['1', '5" screen'],
    ]);
  });

  it('refuses a quoted field that never closes, naming its line', () => {
    expect(() => readCsvRecords('a,b\n1,"open\n2,3\n', ',')).toThrow('a quoted field opened on line 2 is never closed');
  });
});
