import { formatValue, inSentence, labelOf, type Meaning, sdText, type Unit } from '../core/dictionary.js';

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
  /** The feature's label from the dictionary (absent in runs before it). */
  label?: string;
  /** The unit its figures are shown in. */
  unit?: Unit | null;
  claim: string;
  /** Standardized difference of the segment's mean from all customers' (raw sign). */
  z: number;
  median: number | null;
  allMedian: number | null;
  /**
   * Which figures the description shows: medians, or means where the medians do not differ the
   * claimed way (a count that is 0 for most customers); `value`/`allValue` are those figures.
   */
  stat?: 'median' | 'mean' | 'missing';
  value?: number | null;
  allValue?: number | null;
  /**
   * What the claim says of `value` against `allValue`, so it can be checked from the tags alone:
   * above, below, atMost, atLeast, or any (a "middling" claim rests on its score and z).
   */
  relation?: 'above' | 'below' | 'atMost' | 'atLeast' | 'any';
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

/** A claim in plain words with its numbers: "Days since last order: bought recently (median 12; all customers 95; -0.8 sd)". */
export function claimText(c: ClaimCheck): string {
  const unit = c.unit ?? null;
  // The figures the description shows (a mean where the medians tie, a missing share).
  const stat = c.stat ?? 'median';
  const v = stat === 'median' ? c.median : (c.value ?? null);
  const all = stat === 'median' ? c.allMedian : (c.allValue ?? null);
  const shown = stat === 'missing' ? 'share' : unit;
  const med =
    v !== null && all !== null
      ? `${stat === 'mean' ? 'average' : stat === 'missing' ? 'not on file for' : 'median'} ${formatValue(v, shown)}; all customers ${formatValue(all, shown)}; `
      : '';
  return `${c.label ?? c.feature}: ${c.claim} (${med}${sdText(c.z)})`;
}

/** A claim's figures as a description sentence part: "days since last order 12 (all customers: 95)". */
export function claimFigure(c: ClaimCheck): string {
  const unit = c.unit ?? null;
  const label = inSentence(c.label ?? c.feature);
  if (c.stat === 'missing')
    return `${label} not on file for ${formatValue(c.value ?? null, 'share')} (all customers: ${formatValue(c.allValue ?? null, 'share')})`;
  const mean = c.stat === 'mean';
  const v = mean ? (c.value ?? null) : c.median;
  const all = mean ? (c.allValue ?? null) : c.allMedian;
  if (v === null || all === null) return `${label}: ${c.claim}`;
  const [shown, allShown] = [formatValue(v, unit), formatValue(all, unit)];
  // A claim that the segment is not above (or below) everyone, where the figures tie as shown.
  if (shown === allShown) return `${label}${mean ? ': average' : ''} ${shown}, as for all customers`;
  return `${label}${mean ? ': average' : ''} ${shown} (all customers: ${allShown})`;
}

/** A description made of claims' figures, one sentence. */
export function claimsDescription(claims: ClaimCheck[]): string {
  if (!claims.length) return '';
  const text = claims.map(claimFigure).join('; ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
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
  /** The segment's and all customers' means (the standardized difference is of these). */
  mean?: number | null;
  allMean?: number | null;
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
/**
 * The segment's median against all customers' on the better side (1), the worse side (-1) or
 * equal (0); 0 where either is unknown. "Not lapsed" or "modest frequency" also need the median
 * itself on their side: a segment whose median customer is more lapsed than the typical one is
 * not "not lapsed" because its average looks mild.
 */
function side(e: Evidence, trait: Trait): number {
  if (e.median === null || e.allMedian === null || e.median === e.allMedian) return 0;
  const above = e.median > e.allMedian;
  return above === TRAIT_BETTER[trait] ? 1 : -1;
}
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
      return !low(e) && side(e, claim.trait) >= 0;
    case 'notHigh':
      return !high(e) && side(e, claim.trait) <= 0;
  }
}

/** Whether more of a trait is the better side (recency counts days: fewer is better). */
export const TRAIT_BETTER: Record<Trait, boolean> = {
  recency: false,
  frequency: true,
  monetary: true,
  engagement: true,
  couponsClaimed: true,
  burnRate: true,
  tenure: true,
};

const WAY_WORDS: Record<Trait, Record<Way, string>> = {
  recency: {
    high: 'bought recently',
    low: 'not bought for long',
    mid: 'middling recency',
    notLow: 'last order no longer ago than the typical customer',
    notHigh: 'not among the most recent',
  },
  frequency: {
    high: 'order often',
    low: 'order seldom',
    mid: 'middling order count',
    notLow: 'at least as many orders as the typical customer',
    notHigh: 'no more orders than the typical customer',
  },
  monetary: {
    high: 'spend the most',
    low: 'spend little',
    mid: 'middling spend',
    notLow: 'spend at least the typical amount',
    notHigh: 'spend no more than the typical customer',
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

/**
 * A claim that held, with the figures the description shows: the medians, except for a high or
 * low claim whose medians do not differ (a count that is 1 for most customers), where the means
 * show what the claim rests on.
 */
const check = (claim: Claim, e: Evidence, trait: Trait): ClaimCheck => {
  const byMean =
    (claim.is === 'high' || claim.is === 'low') &&
    e.mean != null &&
    e.allMean != null &&
    side(e, trait) !== (claim.is === 'high' ? 1 : -1);
  const up = TRAIT_BETTER[trait];
  const relation: ClaimCheck['relation'] =
    claim.is === 'high'
      ? up
        ? 'above'
        : 'below'
      : claim.is === 'low'
        ? up
          ? 'below'
          : 'above'
        : claim.is === 'notHigh'
          ? up
            ? 'atMost'
            : 'atLeast'
          : claim.is === 'notLow'
            ? up
              ? 'atLeast'
              : 'atMost'
            : 'any';
  return {
    feature: e.feature,
    claim: WAY_WORDS[claim.trait][claim.is],
    z: e.rawZ,
    median: e.median,
    allMedian: e.allMedian,
    stat: byMean ? 'mean' : 'median',
    value: byMean ? (e.mean ?? null) : e.median,
    allValue: byMean ? (e.allMean ?? null) : e.allMedian,
    relation,
  };
};

/** The evidence for a persona in a position, or null when one of its claims does not hold. */
export function personaEvidence(key: keyof typeof PERSONAS, p: Position): ClaimCheck[] | null {
  const spec = CLAIMS[key];
  if (spec.rfm && !(p.recency && p.frequency && p.monetary)) return null;
  const out: ClaimCheck[] = [];
  for (const g of spec.claims) {
    const hit = (Array.isArray(g) ? g : [g]).find((x) => holds(x, p));
    if (!hit) return null;
    out.push(check(hit, p[hit.trait]!, hit.trait));
  }
  for (const o of spec.optional ?? []) {
    if (!p[o.trait]) continue;
    if (!holds(o, p)) return null;
    out.push(check(o, p[o.trait]!, o.trait));
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
  median?: number | null;
  allMedian?: number | null;
  mean?: number | null;
  allMean?: number | null;
}

/** The meanings of the run's features by name (the feature dictionary). */
export type Meanings = Record<string, Meaning>;

const labelFor = (feature: string, meanings: Meanings) => meanings[feature]?.label ?? labelOf(feature);

/**
 * A trait as a claim with the figures that back it: the medians where they differ the way the
 * trait goes, else the means (which the standardized difference is of); null where neither shows
 * it (then no name may speak of it).
 */
function traitClaim(t: Trait0, meanings: Meanings): ClaimCheck | null {
  const sign = t.direction === 'higher' ? 1 : -1;
  const base = {
    feature: t.feature,
    label: labelFor(t.feature, meanings),
    unit: meanings[t.feature]?.unit ?? null,
    claim: `${t.direction} than all customers`,
    z: t.z,
    median: t.median ?? null,
    allMedian: t.allMedian ?? null,
  };
  const relation = sign > 0 ? ('above' as const) : ('below' as const);
  if (t.median != null && t.allMedian != null && sign * (t.median - t.allMedian) > 0)
    return { ...base, stat: 'median', value: t.median, allValue: t.allMedian, relation };
  if (t.mean != null && t.allMean != null && sign * (t.mean - t.allMean) > 0)
    return { ...base, stat: 'mean', value: t.mean, allValue: t.allMean, relation };
  return null;
}

/**
 * What to do with a segment named from its traits: from a catalogue keyed by what its strongest
 * traits claim (which way the dictionary says is good, the unit, words of deals and coupons in the
 * label), naming the trait it rests on; each entry speaks only of the claim it is keyed by.
 */
export function traitAction(claims: ClaimCheck[], meanings: Meanings): string {
  const deal = claims.find((c) => /deal|coupon|discount|promo|voucher/i.test(`${c.label} ${c.feature}`));
  if (deal?.claim.startsWith('higher'))
    return `Price-sensitive (more ${inSentence(deal.label ?? deal.feature).replace(/^(?:number|count) of /i, '')} than typical): test a smaller discount against a control group before giving more.`;
  const c = claims[0];
  const label = inSentence(c.label ?? c.feature);
  const m = meanings[c.feature];
  const higher = c.claim.startsWith('higher');
  if (m?.good) {
    const better = higher === (m.good === 'higher');
    if (m.unit === 'days' && !better)
      return `Win them back (${label} longer than typical): remind them of what they bought and test a reactivation offer against a control group.`;
    if (m.unit === 'share' && !better)
      return `Find out why ${label} is higher than typical (fit, quality, delivery) before sending offers; keep them out of broad discounts.`;
    if (better)
      return `Keep them close (${label} ${higher ? 'higher' : 'lower'} than typical): early access and recommendations in what they buy.`;
    return `Keep contact cheap (${label} ${higher ? 'higher' : 'lower'} than typical) and test one offer that aims at it against a control group.`;
  }
  return `Build the offer around what sets them apart (${label} ${higher ? 'higher' : 'lower'} than typical) and test it against a control group before rolling it out.`;
}

/**
 * A trait in a name: "high" or "low" before its label, or the words the label's own form takes
 * ("days since last order" -> "long since last order" / "recent last order"; "number of store
 * purchases" -> "many store purchases" / "few store purchases").
 */
export function wayWords(label: string, higher: boolean): string {
  const since = /^days since (.+)$/i.exec(label);
  if (since) return `${higher ? 'long since' : 'recent'} ${since[1]}`;
  const count = /^(?:number|count) of (.+)$/i.exec(label);
  if (count) return `${higher ? 'many' : 'few'} ${count[1]}`;
  return `${higher ? 'high' : 'low'} ${label}`;
}

/**
 * Names from a segment's distinguishing features, in plain words from the feature dictionary
 * ("High annual income (k$), low spending score"), for data without RFM features or a segment no
 * persona fits: from its two strongest traits, then three, ... up to five, so a taken name can
 * give way to a longer one. Only traits that differ by at least EFFECT_FLOOR standard deviations,
 * and whose figures show the difference, count; none, no names.
 */
export function traitNames(traits: Trait0[], meanings: Meanings = {}): Persona[] {
  const strong = traits.flatMap((t) => {
    if (Math.abs(t.z) < EFFECT_FLOOR) return [];
    const claim = traitClaim(t, meanings);
    return claim ? [claim] : [];
  });
  if (!strong.length) return [];
  return [2, 3, 4, 5]
    .filter((n) => n === 2 || n <= strong.length)
    .map((n) => {
      const used = strong.slice(0, n);
      const name = used
        .map((c) => wayWords(inSentence(c.label ?? c.feature), c.claim.startsWith('higher')))
        .join(', ');
      return {
        name: name[0].toUpperCase() + name.slice(1),
        description: claimsDescription(used),
        action: traitAction(used, meanings),
        claims: used,
      };
    });
}

/** A segment is "mostly without" a feature when this share of it has no value... */
export const MISSING_MOST = 0.8;
/** ...and at most this share of all customers has none (else the data is sparse for everyone). */
export const MISSING_TYPICAL = 0.5;

/**
 * A segment set apart by missing data rather than behaviour: most of its customers have no value
 * for features that most customers have (a source such as demographics not on file for them). The
 * clustering saw imputed values there, so the segment is named for what is missing, not for the
 * imputed numbers. Null when no feature is missing that way.
 */
export function missingPersona(
  stats: Record<string, { missing?: number; allMissing?: number; z: number | null }>,
  meanings: Meanings,
): Persona | null {
  const claims: ClaimCheck[] = Object.entries(stats)
    .filter(([, v]) => (v.missing ?? 0) >= MISSING_MOST && (v.allMissing ?? 1) <= MISSING_TYPICAL)
    .sort((a, b) => (b[1].missing ?? 0) - (a[1].missing ?? 0) || (a[0] < b[0] ? -1 : 1))
    .map(([feature, v]) => ({
      feature,
      label: labelFor(feature, meanings),
      unit: 'share',
      claim: 'not on file for most of the segment',
      z: v.z ?? 0,
      median: null,
      allMedian: null,
      stat: 'missing',
      value: v.missing ?? 0,
      allValue: v.allMissing ?? 0,
      relation: 'above',
    }));
  if (!claims.length) return null;
  const labels = claims.map((c) => inSentence(c.label ?? c.feature));
  const what =
    labels.length === 1
      ? labels[0]
      : labels.length === 2
        ? `${labels[0]} or ${labels[1]}`
        : `${labels[0]}, ${labels[1]} and ${labels.length - 2} more`;
  return {
    name: `No ${what} on file`,
    description: claimsDescription(claims),
    action: `Their ${what} is unknown, so the figures there are filled in: collect it (a preference centre, a survey at checkout) or treat them apart from segments built on it.`,
    claims,
  };
}

/**
 * A persona for a segment whose claims hold: its name; its description made of the claims'
 * figures in the dictionary's words; its action, where the action's words need more than the
 * name's claims (an absolute figure, the coupon data), only when that holds too.
 */
export function personaOf(
  key: keyof typeof PERSONAS,
  pos: Position,
  claims: ClaimCheck[],
  meanings: Meanings = {},
): Persona {
  const labelled = claims.map((c) => ({
    ...c,
    label: labelFor(c.feature, meanings),
    unit: meanings[c.feature]?.unit ?? null,
  }));
  const orders = pos.frequency?.median ?? null;
  let action: string = PERSONAS[key].action;
  if (key === 'champions') {
    // "No discounts needed" speaks of coupon behaviour: only where they redeem few.
    const burn = pos.burnRate;
    action =
      burn && low(burn)
        ? PERSONAS.champions.action
        : burn && high(burn)
          ? 'Reward them: VIP access, early launches, referral asks; they redeem most coupons they claim, so test rewards other than discounts.'
          : 'Reward them: VIP access, early launches, referral asks.';
  } else if (key === 'promising' && !(orders !== null && orders <= 3))
    action = 'Keep the momentum: tailored picks and reminders at their usual buying interval.';
  else if (key === 'newCustomers' && !(orders !== null && orders <= 1))
    action = 'Welcome journey; show what else the shop offers and explain delivery and returns.';
  return { name: PERSONAS[key].name, description: claimsDescription(labelled), action, claims: labelled };
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
  meanings: Meanings = {},
  missing: (Persona | null)[] = positions.map(() => null),
): Persona[] {
  const used = new Set<string>();
  return positions.map((pos, i) => {
    // Set apart by missing data: named for what is missing, before any name from imputed figures.
    let persona: Persona | null = missing[i] && !used.has(missing[i]!.name) ? missing[i] : null;
    for (const key of persona ? [] : ORDER) {
      if (used.has(PERSONAS[key].name)) continue;
      const claims = personaEvidence(key, pos);
      if (claims) {
        persona = personaOf(key, pos, claims, meanings);
        break;
      }
    }
    persona ??= traitNames(traits[i], meanings).find((t) => !used.has(t.name)) ?? null;
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
