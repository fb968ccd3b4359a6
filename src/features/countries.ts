/**
 * Approximate geographic centroids (latitude, longitude in degrees) of countries, by ISO 3166
 * alpha-2 code with common English names. Accurate to a few hundred km, which is what a "how far
 * from home" feature needs. Covers the countries of Online Retail II, Olist and most shops.
 */
export const COUNTRY_CENTROIDS: ReadonlyArray<readonly [string, number, number, readonly string[]]> = [
  ['AE', 23.9, 54.3, ['United Arab Emirates', 'UAE']],
  ['AR', -35.4, -65.2, ['Argentina']],
  ['AT', 47.6, 14.1, ['Austria']],
  ['AU', -25.7, 134.5, ['Australia']],
  ['BE', 50.6, 4.6, ['Belgium']],
  ['BG', 42.8, 25.2, ['Bulgaria']],
  ['BH', 26.0, 50.6, ['Bahrain']],
  ['BR', -10.8, -53.1, ['Brazil']],
  ['CA', 61.4, -98.3, ['Canada']],
  ['CH', 46.8, 8.2, ['Switzerland']],
  ['CL', -37.7, -71.4, ['Chile']],
  ['CN', 36.6, 103.8, ['China']],
  ['CO', 3.9, -73.1, ['Colombia']],
  ['CY', 35.0, 33.2, ['Cyprus']],
  ['CZ', 49.7, 15.3, ['Czech Republic', 'Czechia']],
  ['DE', 51.1, 10.4, ['Germany']],
  ['DK', 56.0, 10.0, ['Denmark']],
  ['EE', 58.7, 25.5, ['Estonia']],
  ['EG', 26.5, 29.9, ['Egypt']],
  ['ES', 40.2, -3.6, ['Spain']],
  ['FI', 64.5, 26.3, ['Finland']],
  ['FR', 46.6, 2.4, ['France']],
  ['GB', 54.1, -2.9, ['United Kingdom', 'UK', 'Great Britain', 'England', 'Channel Islands']],
  ['GR', 39.1, 22.0, ['Greece']],
  ['HK', 22.4, 114.1, ['Hong Kong']],
  ['HR', 45.1, 15.7, ['Croatia']],
  ['HU', 47.2, 19.4, ['Hungary']],
  ['ID', -2.2, 117.3, ['Indonesia']],
  ['IE', 53.2, -8.1, ['Ireland', 'EIRE']],
  ['IL', 31.1, 35.0, ['Israel']],
  ['IN', 22.9, 79.6, ['India']],
  ['IS', 64.9, -18.6, ['Iceland']],
  ['IT', 42.8, 12.1, ['Italy']],
  ['JP', 37.5, 138.0, ['Japan']],
  ['KR', 36.4, 127.8, ['South Korea', 'Korea', 'Republic of Korea']],
  ['LB', 33.9, 35.9, ['Lebanon']],
  ['LT', 55.3, 23.9, ['Lithuania']],
  ['LU', 49.8, 6.1, ['Luxembourg']],
  ['LV', 56.9, 24.9, ['Latvia']],
  ['MT', 35.9, 14.4, ['Malta']],
  ['MX', 23.9, -102.5, ['Mexico']],
  ['MY', 3.8, 109.7, ['Malaysia']],
  ['NG', 9.6, 8.1, ['Nigeria']],
  ['NL', 52.2, 5.3, ['Netherlands', 'Holland']],
  ['NO', 64.6, 12.7, ['Norway']],
  ['NZ', -41.8, 172.8, ['New Zealand']],
  ['PE', -9.2, -74.4, ['Peru']],
  ['PH', 11.8, 122.9, ['Philippines']],
  ['PL', 52.1, 19.4, ['Poland']],
  ['PT', 39.6, -8.0, ['Portugal']],
  ['RO', 45.9, 25.0, ['Romania']],
  ['RS', 44.2, 20.8, ['Serbia']],
  ['RU', 61.7, 96.7, ['Russia', 'Russian Federation']],
  ['SA', 24.1, 44.5, ['Saudi Arabia']],
  ['SE', 62.8, 16.7, ['Sweden']],
  ['SG', 1.35, 103.8, ['Singapore']],
  ['SI', 46.1, 14.8, ['Slovenia']],
  ['SK', 48.7, 19.5, ['Slovakia']],
  ['TH', 15.1, 101.0, ['Thailand']],
  ['TR', 39.1, 35.2, ['Turkey', 'Türkiye']],
  ['TW', 23.8, 121.0, ['Taiwan']],
  ['UA', 49.0, 31.4, ['Ukraine']],
  ['US', 39.8, -98.6, ['United States', 'USA', 'United States of America']],
  ['VN', 16.6, 106.3, ['Vietnam', 'Viet Nam']],
  ['ZA', -29.0, 25.1, ['South Africa', 'RSA']],
];

/** Finds a country by ISO code or name (case-insensitive); undefined when unknown. */
export function findCountry(nameOrCode: string): { code: string; lat: number; lon: number } | undefined {
  const k = nameOrCode.trim().toLowerCase();
  for (const [code, lat, lon, names] of COUNTRY_CENTROIDS) {
    if (code.toLowerCase() === k || names.some((n) => n.toLowerCase() === k)) return { code, lat, lon };
  }
  return undefined;
}

/** Great-circle distance in km (haversine, mean Earth radius 6371.0088 km). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A SQL VALUES list (name_lower, lat, lon) covering codes and names, for joining in DuckDB. */
export function countryValuesSql(alias = 'cc'): string {
  const rows: string[] = [];
  for (const [code, lat, lon, names] of COUNTRY_CENTROIDS) {
    for (const n of [code, ...names])
      rows.push(`('${n.toLowerCase().replace(/'/g, "''")}', ${lat.toExponential()}, ${lon.toExponential()})`);
  }
  return `(VALUES ${rows.join(', ')}) AS ${alias}(name, lat, lon)`;
}
