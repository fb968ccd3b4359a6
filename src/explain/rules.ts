import type { Tree } from './tree.js';
import { leafClass } from './tree.js';

/** One condition of a rule: feature <= value or feature > value. */
export interface Condition {
  feature: string;
  op: '<=' | '>';
  value: number;
}

/** A rule: customers matching any of the paths (each a conjunction). */
export interface Rule {
  paths: Condition[][];
}

/** Paths from the root to every leaf that predicts `target`, with conditions on one feature merged. */
export function rulesFor(tree: Tree, names: readonly string[], target: number): Rule {
  const paths: Condition[][] = [];
  const uniform = uniformClasses(tree);
  const walk = (node: number, conds: Condition[]) => {
    if (tree.left[node] === -1 || uniform[node] >= 0) {
      if ((uniform[node] >= 0 ? uniform[node] : leafClass(tree, node)) === target)
        paths.push(simplify(conds));
      return;
    }
    const f = names[tree.feature[node]];
    const t = tree.threshold[node];
    walk(tree.left[node], [...conds, { feature: f, op: '<=', value: t }]);
    walk(tree.right[node], [...conds, { feature: f, op: '>', value: t }]);
  };
  walk(0, []);
  return { paths: mergeComplementary(paths) };
}

/**
 * Joins two paths that differ only in one condition and its complement (x <= t in one, x > t in
 * the other): together they say nothing about x. Repeats until no pair joins.
 */
export function mergeComplementary(paths: Condition[][]): Condition[][] {
  const out = paths.map((p) => [...p]);
  const key = (c: Condition) => `${c.feature}\u0000${c.op}\u0000${c.value}`;
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let a = 0; a < out.length; a++) {
      for (let b = a + 1; b < out.length; b++) {
        const pa = out[a];
        const pb = out[b];
        if (pa.length !== pb.length) continue;
        const onlyA = pa.filter((c) => !pb.some((d) => key(d) === key(c)));
        const onlyB = pb.filter((c) => !pa.some((d) => key(d) === key(c)));
        if (
          onlyA.length === 1 &&
          onlyB.length === 1 &&
          onlyA[0].feature === onlyB[0].feature &&
          onlyA[0].value === onlyB[0].value &&
          onlyA[0].op !== onlyB[0].op
        ) {
          out[a] = pa.filter((c) => c !== onlyA[0]);
          out.splice(b, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  return out;
}

/**
 * For each node, the class every leaf below it predicts, or -1 when they differ: a split whose
 * two sides predict the same class says nothing, so rules treat the node as a leaf.
 */
export function uniformClasses(tree: Tree): Int32Array {
  const out = new Int32Array(tree.left.length).fill(-1);
  const visit = (node: number): number => {
    if (tree.left[node] === -1) {
      out[node] = leafClass(tree, node);
      return out[node];
    }
    const a = visit(tree.left[node]);
    const b = visit(tree.right[node]);
    out[node] = a >= 0 && a === b ? a : -1;
    return out[node];
  };
  visit(0);
  return out;
}

/** Keeps the tightest bound per feature and direction, in first-seen order. */
export function simplify(conds: Condition[]): Condition[] {
  const out: Condition[] = [];
  for (const c of conds) {
    const same = out.find((o) => o.feature === c.feature && o.op === c.op);
    if (!same) out.push({ ...c });
    else same.value = c.op === '<=' ? Math.min(same.value, c.value) : Math.max(same.value, c.value);
  }
  return out;
}

export const conditionCount = (r: Rule): number => r.paths.reduce((a, p) => a + p.length, 0);

/** Whether a row (feature name -> value) satisfies the rule; missing values never match a condition. */
export function matches(rule: Rule, value: (feature: string) => number): boolean {
  return rule.paths.some((p) =>
    p.every((c) => {
      const v = value(c.feature);
      return !Number.isNaN(v) && (c.op === '<=' ? v <= c.value : v > c.value);
    }),
  );
}

/** Rounds a threshold to a "business" number: two significant digits (361.26 -> 360, 5.93 -> 5.9). */
export function niceNumber(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const mag = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 1);
  return Number((Math.sign(v) * Math.round(Math.abs(v) / mag) * mag).toPrecision(12));
}

export function roundRule(rule: Rule): Rule {
  return { paths: rule.paths.map((p) => p.map((c) => ({ ...c, value: niceNumber(c.value) }))) };
}

const fmt = (v: number, decimals = 2): string => {
  const r = Number(v.toFixed(decimals));
  return r.toLocaleString('en-US', { maximumFractionDigits: decimals, useGrouping: false });
};

/** scikit-learn's export_text layout for a whole tree. */
export function treeText(
  tree: Tree,
  names: readonly string[],
  classNames: readonly string[],
  decimals = 2,
): string {
  const lines: string[] = [];
  // A split whose every branch ends in the same class says nothing: shown as that class.
  const uniform = uniformClasses(tree);
  const walk = (node: number, depth: number) => {
    const pad = `${'|   '.repeat(depth)}|--- `;
    if (tree.left[node] === -1 || uniform[node] >= 0) {
      lines.push(`${pad}class: ${classNames[uniform[node] >= 0 ? uniform[node] : leafClass(tree, node)]}`);
      return;
    }
    const name = names[tree.feature[node]];
    const t = tree.threshold[node].toFixed(decimals);
    lines.push(`${pad}${name} <= ${t}`);
    walk(tree.left[node], depth + 1);
    lines.push(`${pad}${name} >  ${t}`);
    walk(tree.right[node], depth + 1);
  };
  walk(0, 0);
  return `${lines.join('\n')}\n`;
}

/** A rule as plain conditions: "monetary > 361.26 and avg_session_minutes > 5.9", paths joined by "or". */
export function ruleText(rule: Rule, decimals = 2): string {
  if (!rule.paths.length) return 'never';
  return rule.paths
    .map((p) =>
      p.length ? p.map((c) => `${c.feature} ${c.op} ${fmt(c.value, decimals)}`).join(' and ') : 'always',
    )
    .join('\n  or ');
}

/** A rule as a sentence for people: "Customers whose monetary is above 361.26 and ...". */
export function ruleSentence(
  rule: Rule,
  label: (feature: string) => string,
  who: string,
  decimals = 2,
): string {
  if (!rule.paths.length) return `No simple rule describes ${who}.`;
  const path = (p: Condition[]) => {
    if (!p.length) return 'any customer';
    const parts: string[] = [];
    const done = new Set<Condition>();
    for (const c of p) {
      if (done.has(c)) continue;
      const other = p.find((o) => o !== c && o.feature === c.feature && o.op !== c.op);
      if (other) {
        const lo = c.op === '>' ? c : other;
        const hi = c.op === '<=' ? c : other;
        parts.push(
          `${label(c.feature)} is above ${fmt(lo.value, decimals)} and at most ${fmt(hi.value, decimals)}`,
        );
        done.add(other);
      } else
        parts.push(`${label(c.feature)} is ${c.op === '<=' ? 'at most' : 'above'} ${fmt(c.value, decimals)}`);
    }
    return parts.join(' and ');
  };
  return `${who} are customers whose ${rule.paths.map(path).join(', or whose ')}.`;
}

/** Identifier quoting for DuckDB and PostgreSQL (and ANSI SQL). */
const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
/** A double literal that reads back as the same double in DuckDB and PostgreSQL. */
const lit = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v)).replace(/e\+?/, 'e');

/** The rule as a SQL boolean expression (for WHERE). NULL features do not match. */
export function ruleSql(rule: Rule): string {
  if (!rule.paths.length) return 'FALSE';
  return rule.paths
    .map((p) =>
      p.length ? `(${p.map((c) => `${q(c.feature)} ${c.op} ${lit(c.value)}`).join(' AND ')})` : 'TRUE',
    )
    .join('\n  OR ');
}

/** A CASE expression giving each row the class the tree predicts (one WHEN per leaf). */
export function treeCaseSql(tree: Tree, names: readonly string[], classValue: (c: number) => string): string {
  const whens: string[] = [];
  const uniform = uniformClasses(tree);
  const walk = (node: number, conds: Condition[]) => {
    if (tree.left[node] === -1 || uniform[node] >= 0) {
      const s = simplify(conds);
      const cls = uniform[node] >= 0 ? uniform[node] : leafClass(tree, node);
      whens.push(
        `  WHEN ${s.length ? s.map((c) => `${q(c.feature)} ${c.op} ${lit(c.value)}`).join(' AND ') : 'TRUE'} THEN ${classValue(cls)}`,
      );
      return;
    }
    const f = names[tree.feature[node]];
    walk(tree.left[node], [...conds, { feature: f, op: '<=', value: tree.threshold[node] }]);
    walk(tree.right[node], [...conds, { feature: f, op: '>', value: tree.threshold[node] }]);
  };
  walk(0, []);
  return `CASE\n${whens.join('\n')}\nEND`;
}

/** JSON predicates a CRM rule engine can evaluate: { any: [ { all: [ { feature, op, value } ] } ] }. */
export function ruleJson(rule: Rule): { any: { all: Condition[] }[] } {
  return { any: rule.paths.map((p) => ({ all: p })) };
}
