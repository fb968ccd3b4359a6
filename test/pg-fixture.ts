import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Debian's PostgreSQL binaries (initdb, pg_ctl), or null. */
function pgBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort();
  for (const v of versions.reverse())
    if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return null;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A throw-away PostgreSQL cluster on a loopback port, run as the postgres user (initdb refuses
 * root). CI installs Debian's postgresql (.ci/run); elsewhere its absence skips the test.
 */
export async function startPostgres(t: TestContext): Promise<{ url: string; stop: () => void } | null> {
  const bin = pgBin();
  if (!bin) {
    if (process.env.CI)
      throw new Error("PostgreSQL is missing: .ci/run installs Debian's postgresql for these tests");
    t.skip('needs PostgreSQL (apt-get install postgresql), which is not installed here');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'segmint-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => {
    const isRoot = process.getuid?.() === 0;
    const r = isRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  asPostgres(join(bin, 'initdb'), ['-A', 'trust', '-U', 'postgres', '-D', data]);
  asPostgres(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-w',
    '-l',
    join(dir, 'log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  const url = `postgres://postgres:secret-pw@127.0.0.1:${port}/postgres`;
  return {
    url,
    stop: () => {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-m', 'immediate', 'stop']);
      } catch {
        /* already stopped */
      }
      try {
        execFileSync('rm', ['-rf', dir]);
      } catch {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
