/**
 * Drift between a run and the previous run of its lineage: the share of returning customers who
 * changed segment, each segment's change in size, how far its centre moved (in this run's
 * prepared units), whether its name still holds, and a population stability index per feature.
 * Thresholds come from the recipe; each crossed one is an alert (a counted warning, a webhook
 * POST, a banner on the dashboard, and a non-zero exit with --fail-on-drift).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DriftSpec } from '../config/recipe.js';
import type { Warning } from '../core/errors.js';
import { redactSecrets, redactWebhookUrl } from '../core/redact.js';
import type { Model } from '../model/model.js';
import type { Drift, DriftAlert, FeatureDistribution, Migration, SegmentDrift } from '../model/record.js';
import type { FeatureTable } from '../prep/prepare.js';
import { type CategoricalStep, MISSING, type NumericStep, type PrepParams } from '../prep/prepare.js';
import { quantileSorted, sortedFinite } from '../prep/stats.js';

const LEVELS = 20;
const OTHER_LEVEL = '(other)';
/** Shares below this count as this in the PSI, so an empty bin does not make it infinite. */
const PSI_FLOOR = 1e-4;

/** Deciles of each numeric feature (shares of customers between the cuts), shares of each level. */
export function featureDistributions(table: FeatureTable): FeatureDistribution[] {
  const out: FeatureDistribution[] = [];
  for (const c of table.numeric) {
    // NaN is missing; the features hold no infinities (a run refuses them), so the sorted non-NaN values are the finite ones.
    const finite = sortedFinite(c.values);
    const edges = [
      ...new Set(
        Array.from({ length: 9 }, (_, i) => (finite.length ? quantileSorted(finite, (i + 1) / 10) : 0)),
      ),
    ];
    out.push({
      name: c.name,
      type: 'numeric',
      edges: finite.length ? edges : [],
      shares: binShares(c.values, finite.length ? edges : []),
      missing: c.values.length ? (c.values.length - finite.length) / c.values.length : 0,
    });
  }
  for (const c of table.categorical) {
    const counts = new Map<string, number>();
    for (const v of c.values) counts.set(v ?? MISSING, (counts.get(v ?? MISSING) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, LEVELS);
    const shares: Record<string, number> = {};
    let kept = 0;
    for (const [level, n] of top) {
      shares[level] = n / c.values.length;
      kept += n;
    }
    if (kept < c.values.length) shares[OTHER_LEVEL] = (c.values.length - kept) / c.values.length;
    out.push({ name: c.name, type: 'categorical', shares });
  }
  return out;
}

/** Shares of finite values in the bins (-inf, e1], (e1, e2], ..., (e_last, inf). */
function binShares(values: Float64Array, edges: number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    n++;
    let b = 0;
    while (b < edges.length && v > edges[b]) b++;
    counts[b]++;
  }
  return counts.map((c) => (n ? c / n : 0));
}

const psiTerm = (now: number, before: number) => {
  const [a, e] = [Math.max(now, PSI_FLOOR), Math.max(before, PSI_FLOOR)];
  return (a - e) * Math.log(a / e);
};

/**
 * The population stability index of a feature now against its distribution in the previous run;
 * `shift` moves the previous run's cuts first (the days between the runs, for a feature that ages).
 */
export function psi(before: FeatureDistribution, table: FeatureTable, shift = 0): number | null {
  if (before.type === 'numeric') {
    const col = table.numeric.find((c) => c.name === before.name);
    if (!col || !before.edges.length) return null;
    const now = binShares(
      col.values,
      before.edges.map((e) => e + shift),
    );
    const missingNow = col.values.length
      ? col.values.filter((v) => !Number.isFinite(v)).length / col.values.length
      : 0;
    // Finite shares are of the finite values; weigh them by the finite part of each run.
    let s = 0;
    for (let b = 0; b < now.length; b++)
      s += psiTerm(now[b] * (1 - missingNow), (before.shares[b] ?? 0) * (1 - before.missing));
    if (before.missing > 0 || missingNow > 0) s += psiTerm(missingNow, before.missing);
    return s;
  }
  const col = table.categorical.find((c) => c.name === before.name);
  if (!col) return null;
  const counts = new Map<string, number>();
  for (const v of col.values) {
    const level = v ?? MISSING;
    const key = level in before.shares ? level : OTHER_LEVEL;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = new Set([...Object.keys(before.shares), ...counts.keys()]);
  let s = 0;
  for (const k of keys) s += psiTerm((counts.get(k) ?? 0) / col.values.length, before.shares[k] ?? 0);
  return s;
}

/**
 * A previous centre (in the previous run's prepared units) in this run's prepared units: each
 * numeric value is unweighted, unscaled (and un-logged) with the previous parameters and prepared
 * again with this run's; a one-hot share is carried over by level. Columns the previous run did
 * not prepare are NaN (left out of the distance).
 */
export function mapCentre(
  prev: PrepParams,
  prevCentre: ArrayLike<number>,
  now: PrepParams,
  shift: (feature: string) => number = () => 0,
): Float64Array {
  const before = new Map<string, number>();
  let j = 0;
  for (const step of prev.steps) {
    if (step.type === 'numeric') {
      const p = prevCentre[j++];
      let x = (p / (step.weight || 1)) * step.scale + step.center;
      if (step.log) x = Math.expm1(x);
      before.set(step.name, x + shift(step.name));
    } else {
      const names = [...step.levels, ...(step.other ? [OTHER_LEVEL] : [])];
      for (const l of names) before.set(`${step.name}=${l}`, prevCentre[j++] / (step.weight || 1));
    }
  }
  const out = new Float64Array(now.outputNames.length).fill(Number.NaN);
  j = 0;
  for (const step of now.steps) {
    if (step.type === 'numeric') {
      const x = before.get(step.name);
      out[j++] = x === undefined ? Number.NaN : numericValue(step, x);
    } else {
      const c = step as CategoricalStep;
      for (const l of [...c.levels, ...(c.other ? [OTHER_LEVEL] : [])])
        out[j++] = (before.get(`${c.name}=${l}`) ?? 0) * c.weight;
    }
  }
  return out;
}

function numericValue(step: NumericStep, x: number): number {
  const v = step.log ? Math.log1p(Math.max(x, 0)) : x;
  return ((v - step.center) / step.scale) * step.weight;
}

/** A prepared numeric value back in the feature's own units. */
function rawValue(step: NumericStep, p: number): number {
  const x = (p / (step.weight || 1)) * step.scale + step.center;
  return step.log ? Math.expm1(x) : x;
}

export interface DriftInput {
  previous: { runId: string; model: Model; distributions: FeatureDistribution[] | null };
  migration: Migration;
  prep: PrepParams;
  /** This run's centres by final segment position. */
  centers: ArrayLike<number>;
  segments: { id: number; name: string; shareCustomers: number }[];
  continues: (number | null)[];
  table: FeatureTable;
  spec: DriftSpec;
  /**
   * Days from the previous run's reference date to this run's, and the features that age (days
   * since an event): those are compared after moving the previous run's values by that many days,
   * so the time between two runs is not drift.
   */
  elapsed?: { days: number; features: ReadonlySet<string> };
}

/** Compares a run with the previous run of its lineage and lists what crossed the recipe's thresholds. */
export function computeDrift(d: DriftInput): Drift {
  const { previous, spec } = d;
  const dim = d.prep.outputNames.length;
  const prevDim = previous.model.clusterer.dim;
  const alerts: DriftAlert[] = [];
  const f3 = (x: number) => Number(x.toPrecision(3));
  const aged = (feature: string) => (d.elapsed?.features.has(feature) ? d.elapsed.days : 0);
  // A feature's spread among this run's customers, to say a move in its own standard deviations.
  const sdOf = new Map(
    d.table.numeric.map((c) => {
      let n = 0;
      let m = 0;
      let q = 0;
      for (const v of c.values) {
        if (!Number.isFinite(v)) continue;
        n++;
        const e = v - m;
        m += e / n;
        q += e * (v - m);
      }
      return [c.name, n > 1 ? Math.sqrt(q / n) : 0];
    }),
  );
  const returning = d.migration.stayed + d.migration.moved;
  const movedShare = returning ? d.migration.moved / returning : null;
  if (movedShare !== null && movedShare > spec.moved)
    alerts.push({
      kind: 'moved',
      segmentId: null,
      feature: null,
      value: movedShare,
      threshold: spec.moved,
      message: `${(100 * movedShare).toFixed(1)}% of the returning customers changed segment since run ${previous.runId} (threshold ${(100 * spec.moved).toFixed(0)}%).`,
    });
  const segments: SegmentDrift[] = d.segments.map((s, i) => {
    const pid = d.continues[i];
    const before = pid === null ? undefined : previous.model.segments.find((x) => x.id === pid);
    if (!before) {
      alerts.push({
        kind: 'segment-new',
        segmentId: s.id,
        feature: null,
        value: null,
        threshold: null,
        message: `Segment ${s.id} (${s.name}) continues none of run ${previous.runId}: it is new.`,
      });
      return {
        id: s.id,
        name: s.name,
        previousId: null,
        previousName: null,
        shareBefore: null,
        shareNow: s.shareCustomers,
        sizeChange: null,
        centroidShift: null,
        mostMoved: null,
        nameHolds: null,
      };
    }
    const sizeChange = before.shareCustomers > 0 ? s.shareCustomers / before.shareCustomers - 1 : null;
    const prevIndex = previous.model.segments.indexOf(before);
    const prevCentre = Array.from(
      { length: prevDim },
      (_, t) => previous.model.clusterer.centers[prevIndex * prevDim + t],
    );
    const mapped = mapCentre(previous.model.prep, prevCentre, d.prep, aged);
    let ss = 0;
    let most: string | null = null;
    let mostBy = -1;
    for (let t = 0; t < dim; t++) {
      if (Number.isNaN(mapped[t])) continue;
      const e = Math.abs(d.centers[i * dim + t] - mapped[t]);
      ss += e * e;
      if (e > mostBy) {
        mostBy = e;
        most = d.prep.outputNames[t];
      }
    }
    const shift = Math.sqrt(ss);
    // The most-moved feature in its own units: from (the previous centre, aged) to (this one).
    const mostStep = d.prep.steps.find((x): x is NumericStep => x.type === 'numeric' && x.name === most);
    const mostIndex = most ? d.prep.outputNames.indexOf(most) : -1;
    let along = most ? ` most along ${most}` : '';
    if (mostStep && mostIndex >= 0) {
      const [from, to] = [mapped[mostIndex], d.centers[i * dim + mostIndex]].map((p) =>
        rawValue(mostStep, p),
      );
      const sd = sdOf.get(mostStep.name) ?? 0;
      const g = (x: number) => Number(x.toPrecision(3)).toLocaleString('en-US');
      along = ` most along ${most}: from ${g(from)} to ${g(to)}${sd > 0 ? ` (${to - from >= 0 ? '+' : ''}${((to - from) / sd).toFixed(2)} standard deviations of it among the customers)` : ''}${aged(mostStep.name) ? `, the earlier figure moved on by the ${d.elapsed!.days} days between the runs` : ''}`;
    }
    const nameHolds = s.name === before.name;
    if (sizeChange !== null && Math.abs(sizeChange) > spec.size)
      alerts.push({
        kind: 'size',
        segmentId: s.id,
        feature: null,
        value: sizeChange,
        threshold: spec.size,
        message: `Segment ${s.id} (${s.name}) went from ${(100 * before.shareCustomers).toFixed(1)}% to ${(100 * s.shareCustomers).toFixed(1)}% of the customers (${sizeChange > 0 ? '+' : ''}${(100 * sizeChange).toFixed(0)}%, threshold ${(100 * spec.size).toFixed(0)}%).`,
      });
    if (shift > spec.centroid)
      alerts.push({
        kind: 'centroid',
        segmentId: s.id,
        feature: most,
        value: shift,
        threshold: spec.centroid,
        message: `The centre of segment ${s.id} (${s.name}) moved ${f3(shift)} in the prepared features since run ${previous.runId} (threshold ${spec.centroid}),${along}.`,
      });
    if (spec.names && !nameHolds)
      alerts.push({
        kind: 'name',
        segmentId: s.id,
        feature: null,
        value: null,
        threshold: null,
        message: `Segment ${s.id} was "${before.name}"; its numbers no longer back that name, so it is now "${s.name}".`,
      });
    return {
      id: s.id,
      name: s.name,
      previousId: before.id,
      previousName: before.name,
      shareBefore: before.shareCustomers,
      shareNow: s.shareCustomers,
      sizeChange,
      centroidShift: shift,
      mostMoved: most,
      nameHolds,
    };
  });
  const continued = new Set(d.continues.filter((x): x is number => x !== null));
  for (const s of previous.model.segments)
    if (!continued.has(s.id))
      alerts.push({
        kind: 'segment-gone',
        segmentId: s.id,
        feature: null,
        value: null,
        threshold: null,
        message: `Segment ${s.id} (${s.name}) of run ${previous.runId} has no successor in this run.`,
      });
  const features = (previous.distributions ?? []).map((dist) => ({
    name: dist.name,
    psi: psi(dist, d.table, aged(dist.name)),
  }));
  for (const f of features)
    if (f.psi !== null && f.psi > spec.psi)
      alerts.push({
        kind: 'psi',
        segmentId: null,
        feature: f.name,
        value: f.psi,
        threshold: spec.psi,
        message: `The distribution of ${f.name} shifted since run ${previous.runId}: population stability index ${f3(f.psi)} (threshold ${spec.psi}).`,
      });
  return {
    previousRunId: previous.runId,
    thresholds: {
      ...spec,
      ...(spec.webhook ? { webhook: { ...spec.webhook, url: redactWebhookUrl(spec.webhook.url) } } : {}),
    },
    moved: { share: movedShare, customers: d.migration.moved, returning },
    segments,
    features,
    alerts,
  };
}

export const driftWarnings = (drift: Drift): Warning[] =>
  drift.alerts.map((a) => ({ code: 'DRIFT', message: a.message }));

export interface WebhookResult {
  url: string;
  delivered: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

/**
 * POSTs the drift summary to the recipe's webhook: only to that URL (redirects are not followed),
 * each attempt with a timeout, retried with exponential backoff on network errors and 5xx/429.
 * Never throws: the result says what happened.
 */
export async function postWebhook(
  hook: NonNullable<DriftSpec['webhook']>,
  body: unknown,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<WebhookResult> {
  const url = redactWebhookUrl(hook.url);
  let last: { status: number | null; error: string | null } = { status: null, error: null };
  const attempts = hook.retries + 1;
  const refused = hook.allowPrivateTargets ? null : await privateTarget(hook.url);
  if (refused)
    return {
      url,
      delivered: false,
      attempts: 0,
      status: null,
      error: `not sent: ${refused} (set drift.webhook.allowPrivateTargets: true if this is meant)`,
    };
  // ${NAME} in a header value is read from the environment now, so secrets stay out of recipes.
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(hook.headers ?? {}))
    headers[k] = v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => process.env[name] ?? '');
  for (let a = 1; a <= attempts; a++) {
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'segmint' },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(hook.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300)
        return { url, delivered: true, attempts: a, status: res.status, error: null };
      last = { status: res.status, error: `HTTP ${res.status}` };
      // A redirect or a client error will not change on retry.
      if (res.status < 500 && res.status !== 429) return { url, delivered: false, attempts: a, ...last };
    } catch (e) {
      last = {
        status: null,
        error: redactSecrets(
          String((e as Error).message)
            .split(hook.url)
            .join(url),
        ),
      };
    }
    if (a < attempts) await sleep(hook.backoffMs * 2 ** (a - 1));
  }
  return { url, delivered: false, attempts, ...last };
}

/** Host names of cloud metadata services (they answer on link-local or private addresses). */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.azure.com',
  'instance-data',
]);

/** Whether an address is link-local (169.254.0.0/16, fe80::/10) or a metadata address. */
function linkLocal(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(a) === 4) return a.startsWith('169.254.') || a === '100.100.100.200';
  if (isIP(a) === 6)
    return /^fe[89ab][0-9a-f]:/.test(a) || /^::ffff:169\.254\./.test(a) || a === 'fd00:ec2::254';
  return false;
}

/**
 * Why a webhook URL must not be posted to (a link-local or metadata address, by name or by what
 * the name resolves to), or null. A name that does not resolve is left to the POST's own error.
 */
export async function privateTarget(url: string): Promise<string | null> {
  const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata host`;
  if (linkLocal(host)) return `${host} is a link-local or metadata address`;
  if (isIP(host)) return null;
  try {
    for (const r of await lookup(host, { all: true }))
      if (linkLocal(r.address)) return `${host} resolves to ${r.address}, a link-local or metadata address`;
  } catch {
    // Not resolvable here: the POST reports it.
  }
  return null;
}

/** The JSON the webhook receives: what crossed which threshold, and where to look. */
export function driftPayload(recipe: string, runId: string, drift: Drift) {
  return {
    kind: 'segmint.drift',
    recipe,
    runId,
    previousRunId: drift.previousRunId,
    alerts: drift.alerts,
    moved: drift.moved,
    segments: drift.segments.map((s) => ({
      id: s.id,
      name: s.name,
      sizeChange: s.sizeChange,
      centroidShift: s.centroidShift,
      nameHolds: s.nameHolds,
    })),
  };
}
