import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocProblems, configVariables, renderConfigurationDoc } from '../../apps/hub/src/config/config-docs';

const ROOT = join(__dirname, '../..');
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');

describe('docs/configuration.md cannot drift from the configuration the hub reads', () => {
  it('.env.example documents exactly the variables of config.schema.ts, with their defaults', () => {
    expect(configDocProblems(envExample)).toEqual([]);
    expect(configVariables().length).toBeGreaterThan(50);
  });

  it('docs/configuration.md is what `npm run docs:config` generates now (run it after changing a variable)', () => {
    const onDisk = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    expect(onDisk).toBe(renderConfigurationDoc(envExample));
    for (const name of configVariables()) expect(onDisk).toContain(`| \`${name}\` |`);
  });

  it('finds a variable missing on either side and a wrong example default', () => {
    const broken = envExample.replace(/^PORT=3000$/m, 'PORT=8080').replace(/^LOG_LEVEL=info$/m, 'LOG_LEVEL=info\nNOT_A_SETTING=1').replace(/^SMTP_TLS=true\n/m, '');
    expect(configDocProblems(broken).sort()).toEqual(
      ['NOT_A_SETTING is in .env.example but not in config.schema.ts', 'PORT: .env.example shows 8080, the default is 3000', 'SMTP_TLS is read by the hub but missing from .env.example'].sort(),
    );
  });
});
