import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Each business rule has one home in libs/core (issue 16): the copies that drifted apart (a second
 * snooze in the manager bot, a contact touch in four files, channels writing core tables) must not
 * come back. Reads the sources, so it fails the moment someone pastes a rule into a second place.
 */
const root = join(__dirname, '..', '..');

function sources(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__' && entry.name !== 'node_modules') out.push(...sources(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      out.push({ path: relative(root, join(root, path)), text: readFileSync(join(root, path), 'utf8') });
    }
  }
  return out;
}

const hits = (files: Array<{ path: string; text: string }>, pattern: RegExp) => files.filter((f) => pattern.test(f.text)).map((f) => f.path);

describe('one home for each rule', () => {
  const core = sources('libs/core/src');
  const channels = sources('libs/channels/src');
  const hub = sources('apps/hub/src').filter((f) => !f.path.includes('/migrations/'));

  it('moves a contact’s last activity in one function only', () => {
    expect(hits([...core, ...channels, ...hub], /last_activity_at\s*=\s*GREATEST\(\s*last_activity_at/i)).toEqual(['libs/core/src/contacts/contact-activity.ts']);
  });

  it('lets channels write activity, task, deal and contact rows only through core services', () => {
    expect(hits(channels, /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(activity|task|deal|contact)\b/i)).toEqual([]);
  });

  it('keeps task writes out of the hub and the channels', () => {
    expect(hits([...hub, ...channels], /\b(INSERT\s+INTO|UPDATE)\s+task\b/i)).toEqual([]);
  });

  it('keeps the tasks service’s SQL in the tasks query module', () => {
    const service = core.find((f) => f.path === 'libs/core/src/tasks/tasks.service.ts')!;
    expect(service.text).not.toMatch(/\.query\(/);
    expect(service.text).not.toMatch(/:\s*any\b|<any>|as any\b/);
    expect(core.find((f) => f.path === 'libs/core/src/tasks/task-queries.ts')!.text).not.toMatch(/:\s*any\b|<any>|as any\b/);
  });

  it('has no WorkdayService', () => {
    expect(hits([...hub, ...core, ...channels], /\bWorkdayService\b/)).toEqual([]);
  });
});
