import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The dependency rule of docs/architecture.md, checked on the sources: libs/core imports nothing of
 * ours but the contract types, libs/channels reaches the core only through its public index, the admin UI imports no hub,
 * core or channel code. A violation is listed as file:line and the import.
 */
const ROOT = join(__dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mts)$/.test(name) && !/\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports (static, dynamic, require, export … from), with its line. */
function importsOf(text: string): Array<{ line: number; spec: string }> {
  const found: Array<{ line: number; spec: string }> = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) found.push({ line: text.slice(0, m.index).split('\n').length, spec: m[1] });
  return found;
}

/** Where an import lands: a workspace area (libs/core, libs/channels, apps/hub, apps/admin, libs/contracts), or the package name. */
function target(file: string, spec: string): string {
  if (spec.startsWith('.')) {
    const rel = relative(ROOT, resolve(dirname(file), spec)).split('/');
    return rel.slice(0, 2).join('/');
  }
  return spec;
}

type Rule = { area: string; forbidden: (to: string, spec: string) => string | null };
const RULES: Rule[] = [
  {
    area: 'libs/core',
    forbidden: (to) =>
      to === 'libs/channels' || to.startsWith('@leadline/channels') ? 'core never imports channels' : to === 'apps/hub' || to === 'apps/admin' ? 'core never imports an app' : null,
  },
  {
    area: 'libs/channels',
    forbidden: (to) =>
      to === 'libs/core' || to.startsWith('@leadline/core/')
        ? "channels reach core only through its public index ('@leadline/core')"
        : to === 'apps/hub' || to === 'apps/admin'
          ? 'channels never import an app'
          : null,
  },
  {
    area: 'apps/admin',
    forbidden: (to) =>
      ['apps/hub', 'libs/core', 'libs/channels'].includes(to) || /^@leadline\/(core|channels)(\/|$)/.test(to) ? 'the admin UI talks to the hub over HTTP; it shares types only (@leadline/contracts)' : null,
  },
];

function violations(files: Array<{ path: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { path, text } of files) {
    const area = relative(ROOT, path).split('/').slice(0, 2).join('/');
    const rule = RULES.find((r) => r.area === area);
    if (!rule) continue;
    for (const { line, spec } of importsOf(text)) {
      const why = rule.forbidden(target(path, spec), spec);
      if (why) out.push(`${relative(ROOT, path)}:${line} imports '${spec}': ${why}`);
    }
  }
  return out;
}

describe('the dependency rule of docs/architecture.md', () => {
  const files = RULES.flatMap((r) => sources(join(ROOT, r.area))).map((path) => ({ path, text: readFileSync(path, 'utf8') }));

  it('holds in libs/core, libs/channels and apps/admin', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('names the file, line and import of a violation', () => {
    const at = (p: string) => join(ROOT, p);
    expect(
      violations([
        { path: at('libs/core/src/deals/x.ts'), text: "import { a } from '@leadline/core';\nimport { TelegramModule } from '@leadline/channels';" },
        { path: at('libs/core/src/deals/y.ts'), text: "export * from '../../../channels/src/telegram/lead-card';" },
        { path: at('libs/channels/src/vk/vk.ts'), text: "import { IntakeService } from '@leadline/core';\nconst x = require('@leadline/core/intake/intake.service');" },
        { path: at('libs/channels/src/vk/vk2.ts'), text: "import type { HubConfig } from '../../../../apps/hub/src/config/config.schema';" },
        { path: at('apps/admin/src/x.ts'), text: "import type { Deal } from '@leadline/contracts';\nimport { phone } from '../../../libs/core/src/identity/phone';" },
      ]),
    ).toEqual([
      "libs/core/src/deals/x.ts:2 imports '@leadline/channels': core never imports channels",
      "libs/core/src/deals/y.ts:1 imports '../../../channels/src/telegram/lead-card': core never imports channels",
      "libs/channels/src/vk/vk.ts:2 imports '@leadline/core/intake/intake.service': channels reach core only through its public index ('@leadline/core')",
      "libs/channels/src/vk/vk2.ts:1 imports '../../../../apps/hub/src/config/config.schema': channels never import an app",
      "apps/admin/src/x.ts:2 imports '../../../libs/core/src/identity/phone': the admin UI talks to the hub over HTTP; it shares types only (@leadline/contracts)",
    ]);
  });
});
