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
