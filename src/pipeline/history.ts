import { existsSync } from 'node:fs';
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

export async function listRuns(outDir: string): Promise<RunRow[]> {
  if (!existsSync(historyFile(outDir))) return [];
  const h = await openHistory(outDir);
  try {
    const rows = await h.all(
      "SELECT run_id, strftime(started_at, '%Y-%m-%dT%H:%M:%SZ') AS s, strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f, status, customers, k, recipe_hash, run_dir, error FROM runs ORDER BY started_at DESC, run_id DESC",
    );
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
  } finally {
    h.close();
  }
}

/** A customer's segment in every successful run, newest first. */
export async function customerHistory(
  outDir: string,
  customerId: string,
): Promise<{ runId: string; finishedAt: string; segmentId: number; segmentName: string }[]> {
  if (!existsSync(historyFile(outDir))) return [];
  const h = await openHistory(outDir);
  try {
    const rows = await h.all(
      "SELECT t.run_id, strftime(r.finished_at, '%Y-%m-%dT%H:%M:%SZ') AS f, t.segment_id, t.segment_name FROM tags t JOIN runs r USING (run_id) WHERE t.customer_id = $c AND r.status = 'succeeded' ORDER BY r.finished_at DESC, t.run_id DESC",
      { c: customerId },
    );
    return rows.map((r) => ({
      runId: String(r.run_id),
      finishedAt: String(r.f),
      segmentId: Number(r.segment_id),
      segmentName: String(r.segment_name),
    }));
  } finally {
    h.close();
  }
}
