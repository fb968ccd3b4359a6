import { basename } from 'node:path';
import { ROLE_NAMES, type SourceSpec } from '../config/recipe.js';
import { COLUMN_TYPES } from '../sql/dialect.js';
import { type Duck, qi } from '../sql/duckdb.js';
import { DATE_FORMATS } from './parse.js';
import {
  detectFormat,
  loadWhitespaceTable,
  readableFile,
  readError,
  readerSql,
  resolveSourcePath,
} from './read.js';

type Kind = SourceSpec['kind'];

/** Header patterns per role, most specific first. Tested on normalised names (lower case, no separators). */
export const ROLE_PATTERNS: Record<string, RegExp[]> = {
  customer: [
    /^customer(id|no|number|uniqueid|key|code)?$/,
    /^(cust|client|user|member|buyer|shopper|household|account|consumer|patron|donor|visitor)(id|no|number|key|code)?$/,
    /customeruniqueid|personid|memberid|householdkey|householdid/,
    /(customer|cust|client|user|member|shopper|household|account|buyer|donor).*(id|no|key|code)$/,
    /^id$/,
    // German, French, Spanish, Portuguese, Italian, Dutch exports.
    /^(kunde|kunden|client|cliente|klant)(id|nr|nummer|no|numero|num|code)?$/,
  ],
  order: [
    /^invoice(no|number|id)?$/,
    /^order(id|no|number|key)$/,
    /^(transaction|receipt|basket|ticket|bill|cart|purchase|sale)(id|no|number|key)$/,
    /orderid|invoice|basketid|ticketid|receiptid|transactionid/,
    /^(bestellung|auftrag|rechnung|commande|facture|pedido|factura|ordine|fattura|bestelling|factuur)(id|nr|nummer|no|numero|num)?$/,
  ],
  time: [
    /^invoicedate$/,
    /^(order|purchase|transaction|sale|sales|invoice|receipt|basket)(date|time|timestamp|datetime|at)$/,
    /(purchase|order).*(date|time|timestamp)/,
    // "bought_at", "purchased_on", "created_at": when something happened, by its verb.
    /^(bought|purchased|ordered|paid|created|placed|sold|booked|redeemed|visited)(at|on)$/,
    /^(date|time|timestamp|datetime|eventtime|ts|createdat|orderedat|purchasedat|day|orderday|purchaseday|saleday|week|weekno|weeknumber|dayno|daynumber|period)$/,
    /^(datum|bestelldatum|rechnungsdatum|auftragsdatum|fecha|data|datacompra|dataordine|datecommande|datefacture)$/,
    /date|time|timestamp/,
  ],
  quantity: [
    /^(quantity|qty)$/,
    /^number(of)?(cds|items|units)$/,
    /quantity|qty|units/,
    /^(menge|anzahl|stueck|stuck|quantite|cantidad|quantidade|quantita|aantal)$/,
  ],
  price: [
    /^(unit)?price$/,
    /^unitprice$/,
    /^(sale|selling|item|list)price$/,
    /price/,
    /^(preis|einzelpreis|stueckpreis|prix|prixunitaire|precio|preciounitario|preco|prezzo|prijs)$/,
  ],
  amount: [
    /^(amount|total|revenue|sales|value|dollarvalue|linetotal|paymentvalue|payment|salesvalue|netsales|grosssales|spend|spent|turnover|subtotal|ordertotal|totalamount|totalprice)$/,
    /amount|revenue|dollar|salesvalue|sales|total|paymentvalue|spend/,
    /^(betrag|umsatz|gesamtbetrag|montant|importe|valor|totale|importo|bedrag)$/,
  ],
  product: [
    /^(stockcode|sku|productid|itemid|product|item)$/,
    /product.*id|stock.*code|sku/,
    /^(artikel|artikelnummer|artikelnr|produkt|produit|producto|produto|prodotto|artikelcode)$/,
  ],
  category: [/^(category|productcategory|categoryname|department)$/, /category/],
  country: [/^country$/, /country/],
  status: [/^(order|transaction|payment|invoice)?status$/, /status$/],
  joined: [
    /^(dtcustomer|signup(date)?|joined|joindate|registered|registrationdate|createdat|firstseen)$/,
    /signup|join|regist|dtcustomer/,
  ],
  type: [/^(eventtype|event|action|type)$/],
  duration: [
    /^(duration|sessionminutes|sessionlength|sessionduration|minutes|seconds)$/,
    /duration|sessionlength|minutes/,
  ],
  session: [/^(sessionid|session)$/],
  coupon: [/^(couponid|coupon|couponcode|voucher)$/],
  redeemed: [/^(redeemed|burned|used|isredeemed|redeemedat|usedat)$/, /redeem|burn/],
};

const ROLES_BY_KIND: Record<Kind, readonly string[]> = ROLE_NAMES;

export const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface SniffResult {
  file: string;
  format: 'csv' | 'parquet' | 'json' | 'xlsx';
  /** The sheet read, for a workbook (`file` is the workbook). */
  sheet?: string;
  csv: { delimiter?: string; header?: boolean; quote?: string; decimal?: '.' | ',' };
  dateFormat?: string;
  /** The time column counts days or weeks (a period number), not dates. */
  timeUnit?: 'day' | 'week';
  columns: { name: string; type: string }[];
  kind: Kind;
  roles: Record<string, string>;
  rowsSampled: number;
}

/** Reads a sample of a file with DuckDB's sniffer and guesses what it is and which columns play which role. */
export async function sniffFile(
  duck: Duck,
  path: string,
  baseDir: string,
  csvIn: SourceSpec['csv'] = undefined,
  /** Keep the rows read in this table (for schema discovery), reading up to `limit` of them. */
  keep?: { table: string; limit: number },
  /** For a workbook: the sheet to read (default its first). */
  sheetName?: string,
): Promise<SniffResult> {
  const given = resolveSourcePath(path, baseDir);
  const givenFormat = detectFormat(given);
  // A workbook's sheet is sniffed as the CSV it is written to; the result names the workbook.
  const readable = await readableFile(given, givenFormat, { sheet: sheetName, csv: csvIn }, '--sheet');
  const file = readable.file;
  const format = readable.format;
  if (readable.sheet !== undefined) csvIn = readable.csv;
  const csv: SniffResult['csv'] = {};
  let columns: { name: string; type: string }[];
  let dateFormat: string | undefined;
  let timeUnit: 'day' | 'week' | undefined;
  let whitespace = false;
  try {
    // Inside the try: an unreadable file is DATA_READ here as in `segmint run`.
    whitespace =
      format === 'csv' && (csvIn?.delimiter === 'whitespace' || (await looksWhitespaceSeparated(duck, file)));
    if (whitespace) {
      csv.delimiter = 'whitespace';
      await loadWhitespaceTable(
        duck,
        '__sniff',
        file,
        { ...(csvIn ?? {}), delimiter: 'whitespace' },
        keep?.limit ?? 2000,
      );
    } else {
      const { sql, params } = readerSql(file, format, csvIn);
      await duck.exec(
        `CREATE OR REPLACE TEMP TABLE __sniff AS SELECT * FROM ${sql} LIMIT ${keep?.limit ?? 2000}`,
        params,
      );
      if (format === 'csv') {
        const s = await duck.one(
          `SELECT Delimiter AS d, Quote AS q, HasHeader AS h, DateFormat AS df, TimestampFormat AS tf FROM sniff_csv($path)`,
          { path: file },
        );
        if (s.d && s.d !== ',') csv.delimiter = String(s.d);
        if (s.h === false) csv.header = false;
        // Numbers written with a decimal comma ("3,13", "1.234,56"): a text column whose every
        // value is one, and one at least with the comma, says the file's decimal separator.
        if (!csvIn?.decimal && (await decimalCommaColumns(duck, '__sniff')).length) {
          csv.decimal = ',';
          const again = readerSql(file, format, { ...(csvIn ?? {}), ...csv });
          await duck.exec(
            `CREATE OR REPLACE TEMP TABLE __sniff AS SELECT * FROM ${again.sql} LIMIT ${keep?.limit ?? 2000}`,
            again.params,
          );
        }
      }
    }
    columns = await duck.describe('__sniff');
  } catch (e) {
    throw readError(e, readable.sheet !== undefined ? `${given} (sheet "${readable.sheet}")` : given);
  }
  const rowsSampled = Number((await duck.one('SELECT count(*) AS n FROM __sniff')).n);
  const kind = guessKind(columns, readable.sheet ?? basename(file));
  const roles = guessRoles(columns, kind);
  // Integer yyyymmdd dates (CDNOW) and text dates DuckDB did not read get a format.
  if (roles.time || roles.joined) {
    const col = roles.time ?? roles.joined;
    const t = columns.find((c) => c.name === col)?.type ?? '';
    if (COLUMN_TYPES.numeric(t)) {
      const r = await duck.one(`SELECT min(${qi(col)}) AS lo, max(${qi(col)}) AS hi FROM __sniff`);
      if (Number(r.lo) >= 19000101 && Number(r.hi) <= 21001231) dateFormat = '%Y%m%d';
      // Small whole numbers in a column named like a period: day or week numbers.
      else if (Number(r.lo) >= 0 && Number(r.hi) < 100_000 && /week|day|period/i.test(col))
        timeUnit = /week/i.test(col) ? 'week' : 'day';
    } else if (!COLUMN_TYPES.temporal(t)) {
      const n = Number((await duck.one(`SELECT count(${qi(col)}) AS n FROM __sniff`)).n);
      const cast = Number(
        (await duck.one(`SELECT count(TRY_CAST(${qi(col)} AS TIMESTAMP)) AS n FROM __sniff`)).n,
      );
      if (cast < n) {
        for (const f of DATE_FORMATS) {
          const ok = Number(
            (
              await duck.one(
                `SELECT count(try_strptime(CAST(${qi(col)} AS VARCHAR), '${f}')) AS n FROM __sniff`,
              )
            ).n,
          );
          if (ok === n) {
            dateFormat = f;
            break;
          }
        }
      }
    }
  }
  if (keep) await duck.exec(`CREATE OR REPLACE TEMP TABLE ${qi(keep.table)} AS SELECT * FROM __sniff`);
  await duck.exec('DROP TABLE IF EXISTS __sniff');
  return {
    file: given,
    format: givenFormat,
    ...(readable.sheet !== undefined ? { sheet: readable.sheet } : {}),
    csv,
    ...(dateFormat ? { dateFormat } : {}),
    ...(timeUnit ? { timeUnit } : {}),
    columns,
    kind,
    roles,
    rowsSampled,
  };
}

/** A number written with a decimal comma, thousands grouped by dots or not: "3,13", "1.234,56", "-0,5". */
export const DECIMAL_COMMA = '^[+-]?([0-9]{1,3}([.][0-9]{3})+|[0-9]+)(,[0-9]+)?$';

/** The text columns of a table whose every value is a decimal-comma number, one with a comma at least. */
export async function decimalCommaColumns(duck: Duck, table: string): Promise<string[]> {
  const text = (await duck.describe(qi(table))).filter((c) => c.type === 'VARCHAR');
  if (!text.length) return [];
  const r = await duck.one(
    `SELECT ${text
      .map((c, i) => {
        const v = `trim(${qi(c.name)})`;
        return `count(*) FILTER (WHERE ${v} <> '') AS n${i}, count(*) FILTER (WHERE ${v} <> '' AND regexp_full_match(${v}, '${DECIMAL_COMMA}')) AS m${i}, count(*) FILTER (WHERE ${v} LIKE '%,%' AND regexp_full_match(${v}, '${DECIMAL_COMMA}')) AS c${i}`;
      })
      .join(', ')} FROM ${qi(table)}`,
  );
  return text
    .filter((_, i) => Number(r[`n${i}`]) > 0 && r[`n${i}`] === r[`m${i}`] && Number(r[`c${i}`]) > 0)
    .map((c) => c.name);
}

async function looksWhitespaceSeparated(duck: Duck, file: string): Promise<boolean> {
  // A file this probe cannot read (not UTF-8, say) is not a blank-separated text export; the
  // reader proper decides whether it can be read, as it does in `segmint run`.
  const r = await duck
    .all(
      `SELECT line FROM read_csv($path, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', header = false, auto_detect = false) LIMIT 20`,
      { path: file },
    )
    .catch(() => [] as Record<string, unknown>[]);
  const lines = r.map((x) => String(x.line ?? '')).filter((l) => l.trim());
  if (!lines.length) return false;
  const hasSep = lines.some((l) => /[,;\t|]/.test(l));
  const fields = lines.map((l) => l.trim().split(/\s+/).length);
  return !hasSep && fields[0] > 1 && fields.every((f) => f === fields[0]);
}

export function guessKind(columns: { name: string; type: string }[], fileName: string): Kind {
  const names = columns.map((c) => norm(c.name));
  const has = (role: string) => names.some((n) => ROLE_PATTERNS[role].some((re) => re.test(n)));
  const f = norm(fileName);
  if (has('redeemed') || /coupon|voucher/.test(f)) return 'coupons';
  if (/event|session|click|visit/.test(f) || (has('type') && has('time') && !has('price') && !has('amount')))
    return 'events';
  if (has('time') && (has('price') || has('amount') || has('quantity'))) return 'transactions';
  if (has('customer')) return 'customers';
  return 'lookup';
}

export function guessRoles(columns: { name: string; type: string }[], kind: Kind): Record<string, string> {
  const roles: Record<string, string> = {};
  const taken = new Set<string>();
  for (const role of ROLES_BY_KIND[kind]) {
    for (const re of ROLE_PATTERNS[role]) {
      const hit = columns.find((c) => !taken.has(c.name) && re.test(norm(c.name)) && typeOk(role, c.type));
      if (hit) {
        roles[role] = hit.name;
        taken.add(hit.name);
        break;
      }
    }
  }
  if (kind === 'transactions' && roles.amount && roles.price) delete roles.amount;
  return roles;
}

function typeOk(role: string, type: string): boolean {
  if (role === 'quantity' || role === 'price' || role === 'amount' || role === 'duration')
    return COLUMN_TYPES.numeric(type) || type === 'VARCHAR';
  if (role === 'time') return COLUMN_TYPES.temporal(type) || type === 'VARCHAR' || /INT/.test(type);
  return true;
}
