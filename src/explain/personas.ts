/**
 * Segment names, descriptions and recommended actions, each a claim about the segment's numbers.
 * A persona is a set of claims (a trait such as recency or spend, and which way it goes); it is
 * given to a segment only when every claim holds in the segment's profile: the segment's median
 * sits in the top (or bottom) two fifths of all customers AND its mean differs from all customers'
 * by at least EFFECT_FLOOR standard deviations. RFM vocabulary needs recency, frequency and
 * monetary features; other data, and segments no persona fits, are named from their
 * distinguishing features in plain words. The claims behind each name are kept, so a reader can
 * check them.
 */
export interface Persona {
  name: string;
  description: string;
  action: string;
  /** The evidence for the name: each claim, the feature it read and its numbers. */
  claims: ClaimCheck[];
}

/** A name's claim checked against a segment: what was claimed, on which feature, with its numbers. */
export interface ClaimCheck {
  feature: string;
  claim: string;
  /** Standardized difference of the segment's mean from all customers' (raw sign). */
  z: number;
  median: number | null;
  allMedian: number | null;
}

export const PERSONAS = {
  champions: {
    name: 'Champions',
    description: 'Bought recently, buy often and spend the most.',
    action: 'Reward them: VIP access, early launches, referral asks; no discounts needed.',
  },
  loyal: {
    name: 'Loyal Customers',
    description: 'Buy regularly and respond to the brand.',
    action: 'Upsell and cross-sell; loyalty programme perks; ask for reviews.',
  },
  bigSpenders: {
    name: 'Big Spenders',
    description: 'Few orders but large baskets.',
    action: 'Premium recommendations and bundles; personal service for large orders.',
  },
  promising: {
    name: 'Promising',
    description: 'Recent buyers with modest frequency so far.',
    action: 'Nurture the second and third order: onboarding series, tailored picks.',
  },
  newCustomers: {
    name: 'New Customers',
    description: 'First purchases were very recent.',
    action: 'Welcome journey, first-repeat incentive, explain delivery and returns.',
  },
  needsAttention: {
    name: 'Needs Attention',
    description: 'Middling recency, frequency and spend: nothing stands out yet.',
    action: 'Limited-time offers on categories they bought; re-engagement e-mails.',
  },
  atRisk: {
    name: 'At Risk',
    description: 'Used to buy often or spend well, but not lately.',
    action: 'Win-back offers and personal outreach before they lapse for good.',
  },
  cantLose: {
    name: "Can't Lose Them",
    description: 'Were among the best customers and have gone quiet.',
    action: 'Direct contact, strongest win-back incentive, ask what went wrong.',
  },
  hibernating: {
    name: 'Hibernating',
    description: 'Low spend, few orders, long since the last one.',
    action: 'Low-cost reactivation campaigns; otherwise suppress to save budget.',
  },
  lost: {
    name: 'Lost',
    description: 'Lowest recency, frequency and spend.',
    action: 'Reactivation only if cheap; exclude from paid campaigns.',
  },
  dealSeekers: {
    name: 'Deal Seekers',
    description: 'Redeem most of the coupons they claim; buy on promotion.',
    action: 'Targeted coupons on margin-safe items; test smaller discounts.',
  },
  couponHoarders: {
    name: 'Coupon Hoarders',
    description: 'Claim many coupons but rarely redeem them.',
    action: 'Reminders before coupons expire; fewer, more relevant coupons.',
  },
  browsers: {
    name: 'Engaged Browsers',
    description: 'Browse and wishlist a lot but buy little.',
    action: 'Wishlist and back-in-stock reminders; first-order incentive.',
  },
} as const satisfies Record<string, Omit<Persona, 'claims'>>;

const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** A claim in plain words with its numbers: "recency_days: bought recently (-0.8 sd; median 12 vs 95)". */
export function claimText(c: ClaimCheck): string {
  const med =
    c.median !== null && c.allMedian !== null
      ? `; median ${num(c.median)} vs ${num(c.allMedian)} for all`
      : '';
  return `${c.feature}: ${c.claim} (${c.z >= 0 ? '+' : ''}${c.z.toFixed(1)} sd${med})`;
}

/** The smallest standardized difference (in standard deviations of all customers) a claim needs. */
export const EFFECT_FLOOR = 0.3;

/** The traits personas speak of. */
export type Trait =
  | 'recency'
  | 'frequency'
  | 'monetary'
  | 'engagement'
  | 'couponsClaimed'
  | 'burnRate'
  | 'tenure';

/**
 * Where a segment sits among all customers on a trait: the feature read, the score 1..5 of its
 * median (5 = best: most recent, most frequent, ...), and its standardized difference, oriented so
 * that positive is the better side; absent when the run has no such feature.
 */
export interface Evidence {
  feature: string;
  score: number;
  z: number;
  /** z with the feature's own sign (recency in days: negative is recent). */
  rawZ: number;
  median: number | null;
  allMedian: number | null;
}
export type Position = Partial<Record<Trait, Evidence>>;

type Way = 'high' | 'low' | 'mid' | 'notLow' | 'notHigh';
interface Claim {
  trait: Trait;
  is: Way;
}
/** A claim, or any one of several. */
type ClaimGroup = Claim | Claim[];

const c = (trait: Trait, is: Way): Claim => ({ trait, is });
const R = (is: Way) => c('recency', is);
const F = (is: Way) => c('frequency', is);
const M = (is: Way) => c('monetary', is);

/** The claims of each persona; RFM personas need all three of recency, frequency and monetary. */
const CLAIMS: Record<keyof typeof PERSONAS, { rfm: boolean; claims: ClaimGroup[]; optional?: Claim[] }> = {
  champions: { rfm: true, claims: [R('high'), F('high'), M('high')] },
  dealSeekers: { rfm: false, claims: [c('burnRate', 'high'), c('couponsClaimed', 'notLow')] },
  loyal: { rfm: true, claims: [F('high'), R('notLow')] },
  bigSpenders: { rfm: true, claims: [M('high'), F('notHigh'), R('notLow')] },
  cantLose: { rfm: true, claims: [R('low'), F('high'), M('high')] },
  atRisk: { rfm: true, claims: [R('low'), [F('high'), M('high')]] },
  couponHoarders: { rfm: false, claims: [c('couponsClaimed', 'high'), c('burnRate', 'low')] },
  newCustomers: { rfm: true, claims: [R('high'), F('notHigh')], optional: [c('tenure', 'low')] },
  promising: { rfm: true, claims: [R('high'), F('notHigh')], optional: [c('tenure', 'notLow')] },
  browsers: { rfm: false, claims: [c('engagement', 'high')], optional: [F('notHigh')] },
  lost: { rfm: true, claims: [R('low'), F('low'), M('low')] },
  hibernating: { rfm: true, claims: [R('low'), F('notHigh'), M('notHigh')] },
  needsAttention: { rfm: true, claims: [R('mid'), F('mid'), M('mid')] },
};

/** Persona keys in the order they are tried for a segment. */
const ORDER: (keyof typeof PERSONAS)[] = [
  'champions',
  'dealSeekers',
  'loyal',
  'bigSpenders',
  'cantLose',
  'atRisk',
  'couponHoarders',
  'newCustomers',
  'promising',
  'browsers',
  'lost',
  'hibernating',
  'needsAttention',
];

const high = (e: Evidence) => e.score >= 4 && e.z >= EFFECT_FLOOR;
const low = (e: Evidence) => e.score <= 2 && e.z <= -EFFECT_FLOOR;
function holds(claim: Claim, p: Position): boolean {
  const e = p[claim.trait];
  if (!e) return false;
  switch (claim.is) {
    case 'high':
      return high(e);
    case 'low':
      return low(e);
    case 'mid':
      return !high(e) && !low(e);
    case 'notLow':
      return !low(e);
    case 'notHigh':
      return !high(e);
  }
}

const WAY_WORDS: Record<Trait, Record<Way, string>> = {
  recency: {
    high: 'bought recently',
    low: 'not bought for long',
    mid: 'middling recency',
    notLow: 'not lapsed',
    notHigh: 'not among the most recent',
  },
  frequency: {
    high: 'order often',
    low: 'order seldom',
    mid: 'middling order count',
    notLow: 'not the fewest orders',
    notHigh: 'not the most orders',
  },
  monetary: {
    high: 'spend the most',
    low: 'spend little',
    mid: 'middling spend',
    notLow: 'not the lowest spend',
    notHigh: 'not the highest spend',
  },
  engagement: {
    high: 'engage a lot',
    low: 'engage little',
    mid: 'middling engagement',
    notLow: 'not the least engaged',
    notHigh: 'not the most engaged',
  },
  couponsClaimed: {
    high: 'claim many coupons',
    low: 'claim few coupons',
    mid: 'middling coupon claims',
    notLow: 'claim coupons',
    notHigh: 'not the most coupons claimed',
  },
  burnRate: {
    high: 'redeem most coupons',
    low: 'redeem few coupons',
    mid: 'middling coupon use',
    notLow: 'redeem coupons',
    notHigh: 'not the most coupons redeemed',
  },
  tenure: {
    high: 'long-standing',
    low: 'new',
    mid: 'middling tenure',
    notLow: 'not new',
    notHigh: 'not the longest-standing',
  },
};

const check = (claim: Claim, e: Evidence): ClaimCheck => ({
  feature: e.feature,
  claim: WAY_WORDS[claim.trait][claim.is],
  z: e.rawZ,
  median: e.median,
  allMedian: e.allMedian,
});

/** The evidence for a persona in a position, or null when one of its claims does not hold. */
export function personaEvidence(key: keyof typeof PERSONAS, p: Position): ClaimCheck[] | null {
  const spec = CLAIMS[key];
  if (spec.rfm && !(p.recency && p.frequency && p.monetary)) return null;
  const out: ClaimCheck[] = [];
  for (const g of spec.claims) {
    const hit = (Array.isArray(g) ? g : [g]).find((x) => holds(x, p));
    if (!hit) return null;
    out.push(check(hit, p[hit.trait]!));
  }
  for (const o of spec.optional ?? []) {
    if (!p[o.trait]) continue;
    if (!holds(o, p)) return null;
    out.push(check(o, p[o.trait]!));
  }
  return out;
}

/** Personas whose every claim holds for a position, best first. */
export function personaCandidates(p: Position): (keyof typeof PERSONAS)[] {
  return ORDER.filter((k) => personaEvidence(k, p) !== null);
}

/** A segment's distinguishing feature, as the profile gives it. */
export interface Trait0 {
  feature: string;
  z: number;
  direction: 'higher' | 'lower';
}

const words = (feature: string) =>
  feature
    .replace(/[_\s]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();

/**
 * Names from a segment's distinguishing features, in plain words ("High page values, low exit
 * rates"), for data without RFM features or a segment no persona fits: from its two strongest
 * traits, then three, ... up to five, so a taken name can give way to a longer one. Only traits
 * that differ by at least EFFECT_FLOOR standard deviations count; none, no names.
 */
export function traitNames(traits: Trait0[]): Persona[] {
  const strong = traits.filter((t) => Math.abs(t.z) >= EFFECT_FLOOR);
  if (!strong.length) return [];
  return [2, 3, 4, 5]
    .filter((n) => n === 2 || n <= strong.length)
    .map((n) => {
      const used = strong.slice(0, n);
      const name = used
        .map((t) => `${t.direction === 'higher' ? 'high' : 'low'} ${words(t.feature)}`)
        .join(', ');
      return {
        name: name[0].toUpperCase() + name.slice(1),
        description: `Stand out by ${used.map((t) => `${t.direction} ${words(t.feature)} (${t.z >= 0 ? '+' : ''}${t.z.toFixed(1)} sd)`).join(' and ')} than customers overall.`,
        action: 'Act on what sets them apart; test any offer against a control group before rolling it out.',
        claims: used.map((t) => ({
          feature: t.feature,
          claim: `${t.direction} than all customers`,
          z: t.z,
          median: null,
          allMedian: null,
        })),
      };
    });
}

/**
 * A unique, evidence-backed name per segment: segments are named in order of value (segment 1
 * first); each takes the first persona whose claims all hold and that is not taken yet; a segment
 * no free persona fits is named from its distinguishing features, adding the next trait while the
 * name is taken (never a numeral); a segment with nothing distinguishing is "Typical customers".
 * `overrides` (explain.names) win.
 */
export function assignPersonas(
  positions: Position[],
  overrides: Record<
    string,
    { name?: string | undefined; description?: string | undefined; action?: string | undefined }
  > = {},
  ids: number[] = positions.map((_, i) => i + 1),
  traits: Trait0[][] = positions.map(() => []),
): Persona[] {
  const used = new Set<string>();
  return positions.map((pos, i) => {
    let persona: Persona | null = null;
    for (const key of ORDER) {
      if (used.has(PERSONAS[key].name)) continue;
      const claims = personaEvidence(key, pos);
      if (claims) {
        persona = { ...PERSONAS[key], claims };
        break;
      }
    }
    persona ??= traitNames(traits[i]).find((t) => !used.has(t.name)) ?? null;
    if (!persona) {
      let name = 'Typical customers';
      for (let n = 0; used.has(name); n++)
        name = `Typical customers (${['another group', 'a third group', 'a fourth group', 'a fifth group'][n] ?? `group ${n + 2}`})`;
      persona = {
        name,
        description: `No feature differs from all customers by ${EFFECT_FLOOR} standard deviations or more.`,
        action: 'Treat as the base population; no targeted action is backed by the data.',
        claims: [],
      };
    }
    const o = overrides[String(ids[i])];
    if (o)
      persona = {
        ...persona,
        ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
        // A name set in the recipe is the user's claim, not segmint's.
        ...(o.name !== undefined ? { claims: [] } : {}),
      };
    used.add(persona.name);
    return persona;
  });
}

/** Score 1..5 of a value from its percentile among all customers' values (sorted ascending). */
export function quintileScore(sortedAll: Float64Array, v: number, higherIsBetter = true): number {
  if (!sortedAll.length || Number.isNaN(v)) return 3;
  let lo = 0;
  let hi = sortedAll.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedAll[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  let hi2 = lo;
  while (hi2 < sortedAll.length && sortedAll[hi2] === v) hi2++;
  const pct = (lo + hi2) / 2 / sortedAll.length;
  const s = Math.min(5, 1 + Math.floor(pct * 5));
  return higherIsBetter ? s : 6 - s;
}
