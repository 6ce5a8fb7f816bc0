import { parse } from 'dotenv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_REFERENCE } from '../../apps/hub/src/config/config.reference';
import { configDocsDrift, configReferenceProblems, configVariables, generatedConfigFiles, schemaDefault } from '../../apps/hub/src/config/config-docs';
import { parseConfig } from '../../apps/hub/src/config/load-config';

const ROOT = join(__dirname, '../..');

describe('the configuration reference is generated from config.schema.ts and cannot drift', () => {
  it('describes exactly the variables of config.schema.ts, with examples the schema accepts', () => {
    // On failure each line says where to describe the variable and which command regenerates the files;
    // a variable another branch added to .env.example by hand comes with its comment as a ready entry.
    expect(configReferenceProblems(configVariables(), CONFIG_REFERENCE, readFileSync(join(ROOT, '.env.example'), 'utf8'))).toEqual([]);
    expect(configVariables().length).toBeGreaterThan(50);
  });

  it('docs/configuration.md and .env.example are what `npm run docs:config` generates now', () => {
    // On failure: run `npm run docs:config` (describe a new variable in apps/hub/src/config/config.reference.ts first).
    expect(configDocsDrift(ROOT)).toEqual([]);
    const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    for (const name of configVariables()) expect(doc).toContain(`| \`${name}\` |`);
  });

  it('.env.example copied to .env unchanged configures exactly the defaults, and shows each default the schema has', () => {
    // Read as the hub reads .env (dotenv), from the committed file.
    const env = parse(readFileSync(join(ROOT, '.env.example'), 'utf8'));
    expect(Object.keys(env).sort()).toEqual(configVariables().sort());
    expect(parseConfig(env)).toEqual(parseConfig({}));
    for (const name of configVariables()) if (!CONFIG_REFERENCE[name as keyof typeof CONFIG_REFERENCE]?.defaultText) expect([name, env[name]]).toEqual([name, schemaDefault(name)]);
    expect(env.PORT).toBe('3000');
    expect(env.BUSINESS_HOURS).toBe('24/7');
  });

  it('a variable added to the schema without a description names the file to describe it in, a ready entry and the command', () => {
    const handWritten = '# == Email ==\n# Seconds between two sends to one client.\nMAIL_THROTTLE_SECONDS=5\n';
    const [problem, ...rest] = configReferenceProblems([...configVariables(), 'MAIL_THROTTLE_SECONDS'], CONFIG_REFERENCE, handWritten);
    expect(rest).toEqual([]);
    expect(problem).toContain('MAIL_THROTTLE_SECONDS is read by the hub (apps/hub/src/config/config.schema.ts) but not described');
    expect(problem).toContain('add to CONFIG_REFERENCE in apps/hub/src/config/config.reference.ts');
    expect(problem).toContain("MAIL_THROTTLE_SECONDS: { section: 'Email', description: 'Seconds between two sends to one client.' },");
    expect(problem).toContain('then run `npm run docs:config`');
  });

  it('finds an entry the schema no longer reads and an example the schema refuses', () => {
    const reference = { ...CONFIG_REFERENCE, PORT: { section: 'HTTP' as const, description: 'HTTP port.', example: '99999' } };
    const problems = configReferenceProblems(configVariables().filter((n) => n !== 'LOG_LEVEL'), reference);
    expect(problems).toEqual([
      'LOG_LEVEL is described in apps/hub/src/config/config.reference.ts but apps/hub/src/config/config.schema.ts does not read it: remove the entry, then run `npm run docs:config`.',
      expect.stringContaining('PORT: the example "99999" in apps/hub/src/config/config.reference.ts is refused by the schema (PORT must be a whole number from 1 to 65535'),
    ]);
  });

  it('a hand edit of a generated file fails with the command and the first differing line', () => {
    const files = generatedConfigFiles();
    const edited = files['.env.example'].replace(/^PORT=3000$/m, 'PORT=8080');
    const problems = configDocsDrift(ROOT, { 'docs/configuration.md': files['docs/configuration.md'], '.env.example': edited });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\.env\.example is not what .* generate: run `npm run docs:config`/);
    expect(problems[0]).toContain('committed "PORT=8080", generated "PORT=3000"');
  });
});
