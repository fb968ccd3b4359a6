/**
 * One redaction of secrets in text that leaves the process (messages, hints, details, logs, run
 * records, the history, the API): the password of every URL with credentials, password-like query
 * parameters, and libpq keyword/value passwords. SegmintError applies it to everything it carries.
 */

/** The mark that replaces a secret. */
export const REDACTED = '***';

/**
 * `scheme://userinfo@host...`: the credentials run to the last `@` before the first `/`, `?` or
 * `#` (a password may hold `@`, `:` or spaces), the host to the next white space; the user name ends
 * at the first `:`. So `postgres://:secret@h/db`, `postgres://admin:p@ss@h/db` and
 * `postgres://shop:Pa ss@h/db` keep only their user names.
 */
const URL_AUTHORITY = /\b([a-z][a-z0-9+.-]*:\/\/)((?:[^/?#'"`\n@]*@)*[^\s/?#'"`]*)/gi;

/** Password-like parameters of a query string or a JDBC-style URL. */
const QUERY_SECRET =
  /([?&;](?:password|passwd|pwd|pass|sslpassword|secret|token|api_?key|access_?key)=)[^&;#\s'"`]*/gi;

/** libpq keyword/value strings (`host=h password=secret`, values possibly quoted; not query parameters). */
const KEYWORD_SECRET = /((?<![?&;\w])(?:password|sslpassword)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"`]+)/gi;

/** Replaces the secrets of every connection string in `text`. */
export function redactSecrets(text: string): string {
  if (!text) return text;
  return text
    .replace(URL_AUTHORITY, (_m, scheme: string, authority: string) => {
      const at = authority.lastIndexOf('@');
      if (at < 0) return scheme + authority;
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(':');
      const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
      return `${scheme}${colon < 0 ? user : `${user}:${REDACTED}`}${authority.slice(at)}`;
    })
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(KEYWORD_SECRET, `$1${REDACTED}`);
}

/** A connection URL (or libpq string) with its password replaced, for messages and logs. */
export const redactUrl = (url: string): string => redactSecrets(url);

/**
 * A webhook URL as it may be shown: scheme and host only. Webhook services put their secret in
 * the path (`/services/T0/B0/XXXX`) or the query, so both are hidden.
 */
export function redactWebhookUrl(url: string): string {
  // The host as the request goes to it, parsed as fetch parses it (`http://127.0.0.1:1\@evil/x`
  // goes to 127.0.0.1, whatever a regular expression would make of the `@`).
  if (!URL.canParse(url)) return REDACTED;
  const u = new URL(url);
  const rest = `${u.pathname}${u.search}${u.hash}`;
  return `${u.protocol}//${u.host}${rest && rest !== '/' ? `/${REDACTED}` : ''}`;
}

/** The same over any JSON-like value: every string in it redacted. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
