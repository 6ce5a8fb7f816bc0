import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * @leadline/contracts is shared by the hub and the admin UI's bundle: it may hold types only, so
 * nothing of it ever runs or gets bundled (a value here would be a second copy of hub logic in the UI).
 */
function runtimeStatements(name: string, text: string): string[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  return file.statements
    .filter((s) => !ts.isInterfaceDeclaration(s) && !ts.isTypeAliasDeclaration(s) && !(ts.isImportDeclaration(s) && s.importClause?.isTypeOnly) && !(ts.isExportDeclaration(s) && s.isTypeOnly))
    .map((s) => `${name}:${file.getLineAndCharacterOfPosition(s.getStart(file)).line + 1}  ${s.getText(file).split('\n')[0]}`);
}

describe('@leadline/contracts', () => {
  it('declares types only', () => {
    const dir = __dirname;
    const found = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .flatMap((f) => runtimeStatements(f, readFileSync(join(dir, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('names a value, a function or an enum as the runtime code it is', () => {
    const sample = `export interface A { x: string }\nexport const B = 1;\nexport function c(): void {}\nexport enum D { E }\nexport type F = A;`;
    expect(runtimeStatements('sample.ts', sample)).toEqual(['sample.ts:2  export const B = 1;', 'sample.ts:3  export function c(): void {}', 'sample.ts:4  export enum D { E }']);
  });
});
