import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const SERVER = '/usr/sbin/clickhouse-server';

/**
 * Two ClickHouse servers on loopback, each a shard of the cluster `segmint` (ENGINES.md): own
 * config, ports and paths, started as daemons and polled on /ping. CI installs Debian's
 * clickhouse-server (.ci/run); elsewhere its absence skips the test.
 */
export async function startClickHouse(
  t: TestContext,
  basePort: number,
): Promise<{ urls: string[]; stop: () => void } | null> {
  if (!existsSync(SERVER)) {
    if (process.env.CI)
      throw new Error("ClickHouse is missing: .ci/run installs Debian's clickhouse-server for these tests");
    t.skip('needs ClickHouse (apt-get install clickhouse-server), which is not installed here');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'segmint-ch-'));
  const nodes = [0, 1].map((i) => ({
    http: basePort + 2 * i,
    tcp: basePort + 2 * i + 1,
    dir: join(dir, `n${i}`),
  }));
  const cluster = `<remote_servers><segmint>${nodes.map((n) => `<shard><replica><host>127.0.0.1</host><port>${n.tcp}</port></replica></shard>`).join('')}</segmint></remote_servers>`;
  for (const n of nodes) {
    mkdirSync(n.dir, { recursive: true });
    writeFileSync(
      join(n.dir, 'config.xml'),
      `<?xml version="1.0"?><yandex><logger><level>warning</level><log>${n.dir}/log.txt</log><errorlog>${n.dir}/err.txt</errorlog></logger>
<listen_host>127.0.0.1</listen_host><http_port>${n.http}</http_port><tcp_port>${n.tcp}</tcp_port>
<path>${n.dir}/data/</path><tmp_path>${n.dir}/tmp/</tmp_path><users_config>/etc/clickhouse-server/users.xml</users_config>
<default_profile>default</default_profile><default_database>default</default_database><mark_cache_size>5368709</mark_cache_size>${cluster}</yandex>`,
    );
    const r = spawnSync(
      SERVER,
      [`--config-file=${join(n.dir, 'config.xml')}`, `--pid-file=${join(n.dir, 'pid')}`, '--daemon'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`clickhouse-server did not start: ${r.stderr}`);
  }
  const urls = nodes.map((n) => `http://127.0.0.1:${n.http}/`);
  const deadline = Date.now() + 30_000;
  for (const u of urls) {
    for (;;) {
      try {
        if ((await (await fetch(`${u}ping`)).text()).startsWith('Ok')) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`ClickHouse at ${u} did not answer /ping`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    urls,
    stop: () => {
      for (const n of nodes) {
        try {
          const pid = Number(readFileSync(join(n.dir, 'pid'), 'utf8'));
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        execFileSync('rm', ['-rf', dir]);
      } catch {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
