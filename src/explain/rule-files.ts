import type { Explanation, SegmentRule } from './explain.js';
import type { SegmentProfile } from './profile.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The rules as files for people and machines: rules.txt (sentences, conditions, hold-out metrics
 * and the whole tree), rules.sql (a WHERE per segment and a CASE that tags every customer, for
 * DuckDB and PostgreSQL), rules.json (predicates for a CRM rule engine) and tree.json.
 */
export interface RefinedRule {
  segmentId: number;
  target: string;
  targetId: string;
  rule: SegmentRule | null;
  subsegments: { id: string; size: number }[];
}

export function rulesFiles(
  profiles: SegmentProfile[],
  ex: Explanation,
  refined: RefinedRule | null = null,
): Record<string, string> {
  const txt: string[] = [
    'segmint rules: who is in each segment, as conditions on the features in their original units.',
    '',
  ];
  const sql: string[] = [
    '-- segmint rules. Replace customer_features with your table of customer features (one row per customer).',
    '-- Identifiers are double-quoted; thresholds are written so that DuckDB and PostgreSQL compare them as doubles.',
    '',
  ];
  for (const r of ex.rules) {
    const p = profiles[r.segmentId - 1];
    txt.push(`Segment ${p.id}: ${p.name} (${p.size} customers, ${pct(p.shareCustomers)})`);
    txt.push(`  ${r.sentence}`);
    txt.push(`  rule: ${r.text.replace(/\n/g, '\n  ')}`);
    txt.push(
      `  hold-out: precision ${r.holdout.precision.toFixed(3)}, recall ${r.holdout.recall.toFixed(3)}, F1 ${r.holdout.f1.toFixed(3)}, accuracy ${r.holdout.accuracy.toFixed(3)}; on all customers: precision ${r.fidelity.precision.toFixed(3)}, recall ${r.fidelity.recall.toFixed(3)}`,
    );
    if (r.rounded) {
      txt.push(
        `  rounded: ${r.rounded.text.replace(/\n/g, '\n  ')}\n  rounded on all customers: precision ${r.rounded.fidelity.precision.toFixed(3)} (${r.rounded.fidelity.precision - r.fidelity.precision >= 0 ? '+' : ''}${(r.rounded.fidelity.precision - r.fidelity.precision).toFixed(3)}), recall ${r.rounded.fidelity.recall.toFixed(3)} (${r.rounded.fidelity.recall - r.fidelity.recall >= 0 ? '+' : ''}${(r.rounded.fidelity.recall - r.fidelity.recall).toFixed(3)})`,
      );
    }
    txt.push('');
    sql.push(`-- Segment ${p.id}: ${p.name.replace(/\n/g, ' ')}`);
    sql.push(`SELECT * FROM customer_features\nWHERE ${r.sql};`, '');
  }
  if (refined?.rule) {
    const r = refined.rule;
    txt.push(
      `Refined: segment ${refined.segmentId} re-clustered into ${refined.subsegments.map((x) => `${x.id} (${x.size})`).join(', ')}; ${refined.target} = sub-segment ${refined.targetId}`,
    );
    txt.push(`  ${r.sentence}`, `  rule: ${r.text.replace(/\n/g, '\n  ')}`);
    txt.push(
      `  hold-out: precision ${r.holdout.precision.toFixed(3)}, recall ${r.holdout.recall.toFixed(3)}, F1 ${r.holdout.f1.toFixed(3)}; on all customers: precision ${r.fidelity.precision.toFixed(3)}, recall ${r.fidelity.recall.toFixed(3)}`,
      '',
    );
    sql.push(
      `-- ${refined.target}: sub-segment ${refined.targetId}`,
      `SELECT * FROM customer_features\nWHERE ${r.sql};`,
      '',
    );
  }
  if (ex.tree) {
    txt.push(
      `One tree over all segments (agrees with the segments for ${pct(ex.tree.fidelity)} of customers):`,
      '',
      ex.tree.text,
    );
    sql.push(
      '-- Every customer tagged with the segment the tree predicts:',
      `SELECT *, ${ex.tree.caseSql.replace(/\n/g, '\n  ')} AS segment_id\nFROM customer_features;`,
      '',
    );
  }
  const json = {
    kind: 'segmint.rules',
    segments: ex.rules.map((r) => ({
      segmentId: r.segmentId,
      name: profiles[r.segmentId - 1].name,
      rule: r.json,
      conditions: r.conditions,
      holdout: r.holdout,
      fidelity: r.fidelity,
      ...(r.rounded
        ? {
            rounded: {
              rule: { any: r.rounded.rule.paths.map((pp) => ({ all: pp })) },
              fidelity: r.rounded.fidelity,
            },
          }
        : {}),
    })),
  };
  const withRefine = refined?.rule
    ? {
        ...json,
        refined: {
          segmentId: refined.segmentId,
          target: refined.target,
          targetId: refined.targetId,
          rule: refined.rule.json,
          holdout: refined.rule.holdout,
          fidelity: refined.rule.fidelity,
        },
      }
    : json;
  const out: Record<string, string> = {
    'rules.txt': `${txt.join('\n')}\n`,
    'rules.sql': `${sql.join('\n')}\n`,
    'rules.json': `${JSON.stringify(withRefine, null, 2)}\n`,
  };
  if (ex.tree)
    out['tree.json'] =
      `${JSON.stringify({ features: ex.tree.features, classes: ex.tree.classes, fidelity: ex.tree.fidelity, ...ex.tree.tree }, null, 2)}\n`;
  return out;
}
