// Regenerates the README's generated sections (recipe reference, feature catalogue, CLI reference,
// error codes) from the code: `npm run docs`. test/docs.test.ts fails when they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedSections, replaceSections } from '../test/docs-sections.js';

const file = join(import.meta.dirname, '..', 'README.md');
const text = readFileSync(file, 'utf8');
const next = replaceSections(text, generatedSections());
if (next !== text) {
  writeFileSync(file, next);
  console.log('README.md updated');
} else console.log('README.md is up to date');

// The top-level help bin.ts prints without loading commander.
const helpFile = join(import.meta.dirname, '..', 'src', 'cli', 'help.ts');
const { buildCli } = await import('../src/cli/main.js');
const help = buildCli({ out: () => {}, err: () => {}, isTTY: false }).helpInformation();
const helpText = readFileSync(helpFile, 'utf8');
const nextHelp = helpText.replace(
  /export const TOP_HELP =[\s\S]*?;\n/,
  `export const TOP_HELP =\n  ${JSON.stringify(help)};\n`,
);
if (nextHelp !== helpText) {
  writeFileSync(helpFile, nextHelp);
  console.log('src/cli/help.ts updated');
}
