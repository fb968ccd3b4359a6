import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOP_HELP } from '../../src/cli/help.js';
import { buildCli } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';
import { ROOT } from '../helpers.js';

test('the help bin.ts prints without commander is the help commander would print (npm run docs)', () => {
  assert.equal(TOP_HELP, buildCli({ out: () => {}, err: () => {}, isTTY: false }).helpInformation());
});

test('--version and --help answer from the fast path: neither commander nor a command module loads', () => {
  // The built bin (npm ci builds dist/); NODE_DEBUG=esm names every module as it is loaded.
  const bin = join(ROOT, 'dist', 'cli', 'bin.js');
  const run = (arg: string) => {
    const r = spawnSync(process.execPath, [bin, arg], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: 'esm' },
    });
    const loaded = [...r.stderr.matchAll(/Storing (\S+)/g)].map((m) => m[1]);
    return { out: r.stdout, loaded };
  };
  for (const [arg, want] of [
    ['--version', `${VERSION}\n`],
    ['-V', `${VERSION}\n`],
    ['--help', TOP_HELP],
    ['-h', TOP_HELP],
  ]) {
    const { out, loaded } = run(arg);
    assert.equal(out, want, arg);
    assert.ok(
      loaded.some((m) => m.endsWith('/cli/bin.js')),
      `${arg}: NODE_DEBUG=esm lists the modules`,
    );
    assert.deepEqual(
      loaded.filter((m) => /commander|\/cli\/(main|cmd-)/.test(m)),
      [],
      `${arg} loads no more than bin, version and help`,
    );
  }
  // Anything else goes through commander as before.
  const other = spawnSync(process.execPath, [bin, 'run'], { encoding: 'utf8' });
  assert.match(other.stderr, /missing required argument 'recipe'/);
});
