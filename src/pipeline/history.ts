import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SegmintError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import { every } from '../core/throttle.js';
import { type RunRecord, readRunRecord } from '../model/record.js';
import { Duck, qs } from '../sql/duckdb.js';

/** The workspace database beside the runs: every run, its status, and every customer's tags. */
export const historyFile = (outDir: string): string => join(outDir, 'history.duckdb');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
  customers INTEGER, k INTEGER, recipe_hash VARCHAR, run_dir VARCHAR, error VARCHAR, summary VARCHAR);
CREATE TABLE IF NOT EXISTS segments (run_id VARCHAR, segment_id INTEGER, name VARCHAR, action VARCHAR, size INTEGER);
CREATE TABLE IF NOT EXISTS tags (run_id VARCHAR, customer_id VARCHAR, segment_id INTEGER, segment_name VARCHAR);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reference_date VARCHAR;
`;

/** Whether an error opening a DuckDB file says the file is damaged (not a lock held elsewhere). */
const damaged = (e: unknown): boolean =>
  /not a valid DuckDB database|corrupt|checksum|invalid .*header/i.test(
    e instanceof Error ? e.message : String(e),
  );

/**
 * A damaged history (not a DuckDB file, or corrupt) set aside, so the run that holds the workspace
 * lock starts a new one and records the finished run folders into it (reconcileHistory). The
 * damaged file is kept beside it as `history.duckdb.damaged-<time>`; returns that name, or null
 * when the history opens (or is not there).
 */
export async function setAsideDamagedHistory(outDir: string, now = new Date()): Promise<string | null> {
  const file = historyFile(outDir);
  if (!existsSync(file)) return null;
  try {
    (await Duck.open(file, 1)).close();
    return null;
  } catch (e) {
    if (!damaged(e)) return null;
    const aside = `${file}.damaged-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
    renameSync(file, aside);
    if (existsSync(`${file}.wal`)) renameSync(`${file}.wal`, `${aside}.wal`);
    return aside;
  }
}

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
      if (damaged(e))
        throw new SegmintError(
          'DATA_READ',
          `The run history ${historyFile(outDir)} is damaged (it is not a DuckDB database DuckDB can read).`,
          {
            where: { file: historyFile(outDir) },
            hint: 'Run segmint run <recipe> once: it sets the damaged file aside (history.duckdb.damaged-<time>) and rebuilds the history from the run folders in runs/.',
            details: { cause: e instanceof Error ? e.message : String(e) },
          },
        );
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
  /** The date the run's data is as of (its reference date); null for failed runs and undated data. */
  referenceDate: string | null;
}

/** Records a finished run; with a run folder, also its segments and customer tags. */
export async function recordRun(
  outDir: string,
  row: RunRow,
  segments: { id: number; name: string; action: string; size: number }[] = [],
  opts: { freshId?: boolean } = {},
): Promise<string> {
  const h = await openHistory(outDir);
  try {
    await h.exec('BEGIN TRANSACTION');
    // A failed run never replaces another row: in the same second it takes <id>-2, <id>-3, ...
    if (opts.freshId) {
      const taken = new Set(
        (await h.all('SELECT run_id AS id FROM runs WHERE starts_with(run_id, $id)', { id: row.runId })).map(
          (r) => String(r.id),
        ),
      );
      let id = row.runId;
      for (let n = 2; taken.has(id); n++) id = `${row.runId}-${n}`;
      row = { ...row, runId: id };
    }
    await h.exec('DELETE FROM runs WHERE run_id = $id', { id: row.runId });
    await h.exec(
      'INSERT INTO runs (run_id, started_at, finished_at, status, customers, k, recipe_hash, run_dir, error, summary, reference_date) VALUES ($id, CAST($s AS TIMESTAMP), CAST($f AS TIMESTAMP), $status, $c, $k, $hash, $dir, $err, NULL, $ref)',
      {
        ref: row.referenceDate,
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
    return row.runId;
  } catch (e) {
    await h.exec('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    h.close();
  }
}

// A history written before the reference date was recorded (opened read-only here) has no
// reference_date column: * takes it where it is, and the row reads null elsewhere.
const RUNS_SQL =
  "SELECT strftime(started_at, '%Y-%m-%dT%H:%M:%SZ') AS s, strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f, * FROM runs ORDER BY started_at DESC, run_id DESC";

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
    referenceDate:
      r.reference_date === null || r.reference_date === undefined ? null : String(r.reference_date),
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

/** Every customer's runs, held compactly: a customer's entries are offsets[k]..offsets[k+1]. */
interface CustomerIndex {
  runs: RunRow[];
  /** Successful runs, newest first (the rank the entries refer to). */
  ranked: { runId: string; finishedAt: string }[];
  /** Distinct (run rank, segment id, segment name) triples the entries point at. */
  pairs: { rank: number; segmentId: number; segmentName: string }[];
  slot: Map<string, number>;
  offsets: Int32Array;
  entries: Int32Array;
}

const INDEX_SQL = `SELECT CAST(t.customer_id AS VARCHAR) AS c, r.rank, t.segment_id, t.segment_name
  FROM tags t JOIN (SELECT run_id, CAST(row_number() OVER (ORDER BY finished_at DESC, run_id DESC) - 1 AS INTEGER) AS rank
    FROM runs WHERE status = 'succeeded') r USING (run_id)
  ORDER BY c, r.rank`;

/**
 * The history as a long-lived reader (the server) sees it, read again only when the file changed
 * (its size or time, or its write-ahead log's). Holding the file open would lock out the runs of
 * other processes, so it is read once and let go; while a run holds it, the last reading keeps
 * serving and the next request tries again. A lookup is a map probe (a database query per lookup
 * costs ~1.5 ms of the server's one thread); memory is about 100 bytes a customer and 4 a tag.
 */
export class HistoryReader {
  private index: CustomerIndex | null = null;
  private version = '';
  private loading: Promise<void> | null = null;
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

  private async read(): Promise<CustomerIndex> {
    const mem = await Duck.open(':memory:', 1);
    try {
      await mem.exec(`ATTACH ${qs(historyFile(this.outDir))} AS h (READ_ONLY)`);
      await mem.exec('USE h');
      const runs = await queryRuns(mem);
      const ranked = (
        await mem.all(
          "SELECT run_id, strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f FROM runs WHERE status = 'succeeded' ORDER BY finished_at DESC, run_id DESC",
        )
      ).map((r) => ({ runId: String(r.run_id), finishedAt: String(r.f) }));
      const pairs: CustomerIndex['pairs'] = [];
      const pairOf = new Map<string, number>();
      const slot = new Map<string, number>();
      const offsets: number[] = [];
      const entries: number[] = [];
      let last: string | null = null;
      for await (const row of mem.stream(INDEX_SQL)) {
        const c = String(row.c);
        if (c !== last) {
          slot.set(c, offsets.length);
          offsets.push(entries.length);
          last = c;
        }
        const key = `${row.rank}\u0000${row.segment_id}\u0000${row.segment_name}`;
        let p = pairOf.get(key);
        if (p === undefined) {
          p = pairs.length;
          pairOf.set(key, p);
          pairs.push({
            rank: Number(row.rank),
            segmentId: Number(row.segment_id),
            segmentName: String(row.segment_name),
          });
        }
        entries.push(p);
      }
      offsets.push(entries.length);
      return {
        runs,
        ranked,
        pairs,
        slot,
        offsets: Int32Array.from(offsets),
        entries: Int32Array.from(entries),
      };
    } finally {
      mem.close();
    }
  }

  /** At most one look at the file every LOOK_EVERY_MS: two stat calls a lookup were a third of its cost. */
  private readonly mayLook = every();

  private async refresh(): Promise<void> {
    if (!this.mayLook(!this.version)) return;
    const stamp = this.stamp();
    if (stamp === this.version) return;
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        this.index = existsSync(historyFile(this.outDir)) ? await this.read() : null;
        this.version = stamp;
      } catch {
        // Held by a run of another process: keep the last reading and try again on the next request.
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Starts reading the index now (a server at start), so the first lookups do not wait for it. */
  warm(): void {
    this.refresh().catch(() => {});
  }

  async runs(): Promise<RunRow[]> {
    await this.refresh();
    return this.index?.runs ?? [];
  }

  /** A customer's segment in every successful run, newest first. */
  async customer(customerId: string): Promise<CustomerRun[]> {
    await this.refresh();
    const ix = this.index;
    const k = ix?.slot.get(customerId);
    if (!ix || k === undefined) return [];
    const out: CustomerRun[] = [];
    for (let e = ix.offsets[k]; e < ix.offsets[k + 1]; e++) {
      const p = ix.pairs[ix.entries[e]];
      const run = ix.ranked[p.rank];
      out.push({
        runId: run.runId,
        finishedAt: run.finishedAt,
        segmentId: p.segmentId,
        segmentName: p.segmentName,
      });
    }
    return out;
  }

  close(): void {
    this.index = null;
  }
}

/**
 * Makes the history agree with runs/: a finished run folder (its run.json written, so its outputs
 * are whole) that the history lacks, because its process died between renaming the folder and
 * recording it, is recorded from its run.json. Called by the next run once it holds the lock.
 * Returns the run ids recorded.
 */
export async function reconcileHistory(outDir: string): Promise<string[]> {
  const runsDir = join(outDir, 'runs');
  if (!existsSync(runsDir)) return [];
  const known = new Set((await listRuns(outDir)).map((r) => r.runId));
  const added: string[] = [];
  for (const name of readdirSync(runsDir).sort()) {
    if (name.startsWith('.') || known.has(name)) continue;
    const file = join(runsDir, name, 'run.json');
    if (!existsSync(file)) continue;
    let run: RunRecord;
    try {
      run = readRunRecord(file);
    } catch {
      continue; // not a run folder of this segmint
    }
    if (run.runId !== name) continue;
    await recordRun(
      outDir,
      {
        runId: run.runId,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        status: 'succeeded',
        customers: run.data.customers,
        k: run.cluster.k,
        recipeHash: run.recipe.hash,
        runDir: join(runsDir, name),
        error: null,
        referenceDate: run.data.referenceDate ?? null,
      },
      run.segments.map((s) => ({ id: s.id, name: s.name, action: s.action, size: s.size })),
    );
    added.push(name);
  }
  return added;
}
