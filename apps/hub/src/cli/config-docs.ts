import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocProblems, renderConfigurationDoc } from '../config/config-docs';

/** npm run docs:config: writes docs/configuration.md from .env.example (after checking it against the schema). */
const root = process.cwd();
const envExample = readFileSync(join(root, '.env.example'), 'utf8');
const problems = configDocProblems(envExample);
if (problems.length) {
  process.stderr.write(`docs:config: ${problems.join('; ')}\n`);
  process.exit(1);
}
writeFileSync(join(root, 'docs/configuration.md'), renderConfigurationDoc(envExample));
process.stdout.write('docs/configuration.md written\n');
