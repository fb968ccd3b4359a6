#!/usr/bin/env node
// Runs the whole suite: type check, lint/format check, then every test/**/*.test.ts with Node's
// built-in runner (through tsx), so the runner's summary closes the output.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };

function step(name, cmd, args) {
  process.stdout.write(`# ${name}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stdout.write(`# ${name} failed\n`);
    process.exit(r.status ?? 1);
  }
}

function testFiles(dir) {
  const out = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (f.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

if (!only.length) {
  step('typecheck (tsc --noEmit)', 'npx', ['tsc', '--noEmit', '-p', '.']);
  step('lint and format (biome check)', 'npx', ['biome', 'check', '.']);
}
const files = only.length ? only : testFiles(join(root, 'test')).map((f) => f.slice(root.length));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
