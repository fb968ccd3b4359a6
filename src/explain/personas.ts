/**
 * Persona names, descriptions and recommended actions, chosen deterministically from where each
 * segment sits among all customers on recency, frequency and monetary value (scores 1..5 from the
 * percentile of the segment's median), and on engagement and coupon behaviour when present.
 */
export interface Persona {
  name: string;
  description: string;
  action: string;
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
    description: 'Middling recency, frequency and spend; drifting.',
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
} as const satisfies Record<string, Persona>;

/** Where a segment sits among all customers: scores 1..5 (5 best), null when the feature is absent. */
export interface Position {
  recency: number | null;
  frequency: number | null;
  monetary: number | null;
  engagement: number | null;
  couponsClaimed: number | null;
  burnRate: number | null;
}

/** Candidate personas for a position, best first; the caller takes the first one not yet used. */
export function personaCandidates(p: Position): (keyof typeof PERSONAS)[] {
  const r = p.recency ?? 3;
  const f = p.frequency ?? 3;
  const m = p.monetary ?? 3;
  const out: (keyof typeof PERSONAS)[] = [];
  const claims = p.couponsClaimed;
  const burn = p.burnRate;
  if (r >= 4 && f >= 4 && m >= 4) out.push('champions');
  if (r >= 3 && burn !== null && burn >= 4 && (claims ?? 3) >= 4) out.push('dealSeekers');
  if (f >= 4 && r >= 3) out.push('loyal');
  if (m >= 4 && f <= 3 && r >= 2) out.push('bigSpenders');
  if (r <= 2 && (f >= 4 || m >= 4)) out.push('cantLose');
  if (r <= 2 && (f >= 3 || m >= 3)) out.push('atRisk');
  if (r >= 3 && claims !== null && claims >= 4 && (burn ?? 3) <= 2) out.push('couponHoarders');
  if (r >= 5 && f <= 2) out.push('newCustomers');
  if (r >= 4 && f <= 3) out.push('promising');
  if (p.engagement !== null && p.engagement >= 4 && f <= 3) out.push('browsers');
  if (r <= 1 && f <= 2 && m <= 2) out.push('lost');
  if (r <= 2 && f <= 2) out.push('hibernating');
  if (r === 3 || f === 3 || m === 3) out.push('needsAttention');
  // Fallbacks so that every segment gets a name.
  out.push(r >= 3 ? 'needsAttention' : 'hibernating', r >= 3 ? 'promising' : 'atRisk', 'loyal', 'lost');
  return out;
}

/**
 * Unique persona per segment: segments are named in order of value (segment 1 first) and each takes
 * its best candidate not yet taken; if all are taken it gets the best one with a numeral.
 */
export function assignPersonas(
  positions: Position[],
  overrides: Record<
    string,
    { name?: string | undefined; description?: string | undefined; action?: string | undefined }
  > = {},
  ids: number[] = positions.map((_, i) => i + 1),
): Persona[] {
  const used = new Set<string>();
  return positions.map((pos, i) => {
    const cands = personaCandidates(pos);
    const key = cands.find((c) => !used.has(PERSONAS[c].name));
    let persona: Persona;
    if (key) persona = { ...PERSONAS[key] };
    else {
      const base = PERSONAS[cands[0]];
      let n = 2;
      while (used.has(`${base.name} ${n}`)) n++;
      persona = { ...base, name: `${base.name} ${n}` };
    }
    const o = overrides[String(ids[i])];
    if (o)
      persona = { ...persona, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
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
