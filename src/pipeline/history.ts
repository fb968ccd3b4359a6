import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redactSecrets } from '../core/redact.js';
import { Duck, qs } from '../data/duck.js';

/** The workspace database beside the runs: every run, its status, and every customer's tags. */
export const historyFile = (outDir: string): string => join(outDir, 'history.duckdb');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
  customers INTEGER, k INTEGER, recipe_hash VARCHAR, run_dir VARCHAR, error VARCHAR, summary VARCHAR);
CREATE TABLE IF NOT EXISTS segments (run_id VARCHAR, segment_id INTEGER, name VARCHAR, action VARCHAR, size INTEGER);
CREATE TABLE IF NOT EXISTS tags (run_id VARCHAR, customer_id VARCHAR, segment_id INTEGER, segment_name VARCHAR);
`;

/** Opens the history database (created on first use); retries briefly while another process holds it. */
export async function openHistory(outDir: string): Promise<Duck> {
  let last: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const duck = await Duck.open(historyFile(outDir), 1);
      for (const stmt of SCHEMA.split(';')
        .map((x) => x.trim())
        .filter(Boolean))
        await duck.exec(stmt);
      return duck;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

export interface RunRow {
  runId: string;
  startedAt: string;
  finishedAt: string;
  status: 'succeeded' | 'failed';
  customers: number | null;
  k: number | null;
  recipeHash: string;
  runDir: string | null;
  error: string | null;
}

/** Records a finished run; with a run folder, also its segments and customer tags. */
export async function recordRun(
  outDir: string,
  row: RunRow,
  segments: { id: number; name: string; action: string; size: number }[] = [],
): Promise<void> {
  const h = await openHistory(outDir);
  try {
    await h.exec('BEGIN TRANSACTION');
    await h.exec('DELETE FROM runs WHERE run_id = $id', { id: row.runId });
    await h.exec(
      'INSERT INTO runs VALUES ($id, CAST($s AS TIMESTAMP), CAST($f AS TIMESTAMP), $status, $c, $k, $hash, $dir, $err, NULL)',
      {
        id: row.runId,
        s: row.startedAt,
        f: row.finishedAt,
        status: row.status,
        c: row.customers,
        k: row.k,
        hash: row.recipeHash,
        dir: row.runDir,
        err: row.error === null ? null : redactSecrets(row.error),
      },
    );
    for (const s of segments)
      await h.exec('INSERT INTO segments VALUES ($id, $sid, $n, $a, $size)', {
        id: row.runId,
        sid: s.id,
        n: s.name,
        a: s.action,
        size: s.size,
      });
    if (row.runDir) {
      const tags = existsSync(join(row.runDir, 'tags.parquet'))
        ? `read_parquet(${qs(join(row.runDir, 'tags.parquet'))})`
        : `read_csv(${qs(join(row.runDir, 'tags.csv'))}, types = {'customer_id': 'VARCHAR'})`;
      await h.exec(
        `INSERT INTO tags SELECT $id, CAST(customer_id AS VARCHAR), segment_id, segment_name FROM ${tags}`,
        { id: row.runId },
      );
    }
    await h.exec('COMMIT');
  } catch (e) {
    await h.exec('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    h.close();
  }
}

const RUNS_SQL =
  "SELECT run_id, strftime(started_at, '%Y-%m-%dT%H:%M:%SZ') AS s, strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f, status, customers, k, recipe_hash, run_dir, error FROM runs ORDER BY started_at DESC, run_id DESC";
const CUSTOMER_SQL =
  "SELECT t.run_id, strftime(r.finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f, t.segment_id, t.segment_name FROM tags t JOIN runs r USING (run_id) WHERE t.customer_id = $c AND r.status = 'succeeded' ORDER BY r.finished_at DESC, t.run_id DESC";

export interface CustomerRun {
  runId: string;
  finishedAt: string;
  segmentId: number;
  segmentName: string;
}

async function queryRuns(h: Duck): Promise<RunRow[]> {
  const rows = await h.all(RUNS_SQL);
  return rows.map((r) => ({
    runId: String(r.run_id),
    startedAt: String(r.s),
    finishedAt: String(r.f),
    status: r.status as RunRow['status'],
    customers: r.customers === null ? null : Number(r.customers),
    k: r.k === null ? null : Number(r.k),
    recipeHash: String(r.recipe_hash),
    runDir: r.run_dir === null ? null : String(r.run_dir),
    error: r.error === null ? null : redactSecrets(String(r.error)),
  }));
}

async function queryCustomer(h: Duck, customerId: string): Promise<CustomerRun[]> {
  const rows = await h.all(CUSTOMER_SQL, { c: customerId });
  return rows.map((r) => ({
    runId: String(r.run_id),
    finishedAt: String(r.f),
    segmentId: Number(r.segment_id),
    segmentName: String(r.segment_name),
  }));
}

/** Runs a query on the history file (opened for it and closed after), or gives `none` without one. */
async function onHistory<T>(outDir: string, none: T, q: (h: Duck) => Promise<T>): Promise<T> {
  if (!existsSync(historyFile(outDir))) return none;
  const h = await openHistory(outDir);
  try {
    return await q(h);
  } finally {
    h.close();
  }
}

export const listRuns = (outDir: string): Promise<RunRow[]> => onHistory(outDir, [], queryRuns);

/** A customer's segment in every successful run, newest first. */
export const customerHistory = (outDir: string, customerId: string): Promise<CustomerRun[]> =>
  onHistory(outDir, [], (h) => queryCustomer(h, customerId));

/**
 * The history as a long-lived reader (the server) sees it: a copy in memory, taken again only when
 * the file changed (its size or time, or its write-ahead log's). Holding the file open would lock
 * out the runs of other processes, so the copy is taken and the file let go at once; while a run
 * holds the file, the last copy keeps serving and the next request tries again.
 */
export class HistoryReader {
  private mem: Duck | null = null;
  private version = '';
  private loading: Promise<void> | null = null;
  private runsCache: RunRow[] = [];
  constructor(private readonly outDir: string) {}

  private stamp(): string {
    const part = (f: string) => {
      try {
        const st = statSync(f);
        return `${st.mtimeMs}:${st.size}`;
      } catch {
        return '-';
      }
    };
    const file = historyFile(this.outDir);
    return `${part(file)}|${part(`${file}.wal`)}`;
  }

  private async refresh(): Promise<void> {
    const stamp = this.stamp();
    if (stamp === this.version) return;
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        if (!existsSync(historyFile(this.outDir))) {
          this.runsCache = [];
          this.version = stamp;
          return;
        }
        const mem = this.mem ?? (await Duck.open(':memory:', 1));
        this.mem = mem;
        await mem.exec(`ATTACH ${qs(historyFile(this.outDir))} AS h (READ_ONLY)`);
        try {
          await mem.exec('CREATE OR REPLACE TABLE runs AS SELECT * FROM h.runs');
          await mem.exec('CREATE OR REPLACE TABLE tags AS SELECT * FROM h.tags ORDER BY customer_id');
        } finally {
          await mem.exec('DETACH h');
        }
        this.runsCache = await queryRuns(mem);
        this.version = stamp;
      } catch {
        // Held by a run of another process: keep the last copy and try again on the next request.
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async runs(): Promise<RunRow[]> {
    await this.refresh();
    return this.runsCache;
  }

  async customer(customerId: string): Promise<CustomerRun[]> {
    await this.refresh();
    return this.mem && this.runsCache.length ? queryCustomer(this.mem, customerId) : [];
  }

  close(): void {
    this.mem?.close();
    this.mem = null;
  }
}
