import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/**
 * Guards the data-access rule (docs/data-access.md) without a linter: libs/core names no `any` type,
 * and SQL results are typed rows read through database/query-rows (TypeORM's `query` answers
 * `Promise<any>`, so a direct call hands out untyped rows without the word `any` appearing).
 */
const ROOT = join(__dirname);
const REPO = join(__dirname, '..', '..', '..');

/**
 * Files that still call `query` directly, from before the rule. The list only shrinks: convert a file
 * to queryRows/queryRow/mutateRows/execute and remove it here. A new file never goes on it.
 */
const DIRECT_QUERY_LEGACY = new Set([
  'assignment/assignment.service.ts',
  'contacts/contact-merge.ts',
  'contacts/contact-resolver.ts',
  'conversations/conversations.service.ts',
  'import/import.service.ts',
  'intake/intake.service.ts',
  'intake/lead-writes.ts',
  'leases/advisory-leases.ts',
  'managers/managers.service.ts',
  'outbox/outbox.service.ts',
  'outbox/outbox.worker.ts',
  'pipelines/stage-automation.ts',
  'privacy/personal-data.service.ts',
  'sla/sla.service.ts',
  'timeline/timeline.service.ts',
]);

/** The one place that calls TypeORM's `query` on purpose. */
const QUERY_WRAPPER = 'database/query-rows.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Finding {
  where: string;
  text: string;
}

function scan(path: string, text = readFileSync(path, 'utf8')): { anyTypes: Finding[]; directQueries: Finding[] } {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const anyTypes: Finding[] = [];
  const directQueries: Finding[] = [];
  const at = (node: ts.Node): Finding => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    return { where: `${relative(REPO, path)}:${line + 1}`, text: text.split('\n')[line].trim() };
  };
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) anyTypes.push(at(node));
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query') directQueries.push(at(node));
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { anyTypes, directQueries };
}

function findings(files: string[]): { anyTypes: string[]; directQueries: string[] } {
  const anyTypes: string[] = [];
  const directQueries: string[] = [];
  for (const path of files) {
    const rel = relative(ROOT, path).split('\\').join('/');
    if (rel === 'no-any.spec.ts') continue;
    const found = scan(path);
    anyTypes.push(...found.anyTypes.map((f) => `${f.where}  ${f.text}`));
    if (rel !== QUERY_WRAPPER && !DIRECT_QUERY_LEGACY.has(rel)) directQueries.push(...found.directQueries.map((f) => `${f.where}  ${f.text}`));
  }
  return { anyTypes, directQueries };
}

describe('libs/core data-access guard', () => {
  const files = sourceFiles(ROOT);

  it('names no `any` type (declare a row interface instead)', () => {
    expect(findings(files).anyTypes).toEqual([]);
  });

  it('reads SQL results only through database/query-rows (typed rows), outside the shrinking legacy list', () => {
    expect(findings(files).directQueries).toEqual([]);
  });

  it('keeps the legacy list honest: every file on it exists and still calls query directly', () => {
    const stale = [...DIRECT_QUERY_LEGACY].filter((rel) => {
      const path = join(ROOT, rel);
      try {
        return scan(path).directQueries.length === 0;
      } catch {
        return true;
      }
    });
    expect(stale).toEqual([]);
  });

  it('catches an `any` type and a direct query where they would hide (the guard itself can fail)', () => {
    const sample = join(__dirname, '__fixtures__', 'typed-guard-sample.ts.txt');
    const found = scan(sample);
    // Three `any` types (annotation, cast, generic argument) and one direct query, each named by file:line;
    // the word "any" in a comment or a string does not count.
    expect(found.anyTypes.map((f) => f.where)).toEqual([
      'libs/core/src/__fixtures__/typed-guard-sample.ts.txt:4',
      'libs/core/src/__fixtures__/typed-guard-sample.ts.txt:5',
      'libs/core/src/__fixtures__/typed-guard-sample.ts.txt:6',
    ]);
    expect(found.directQueries.map((f) => f.where)).toEqual(['libs/core/src/__fixtures__/typed-guard-sample.ts.txt:4']);
  });
});
