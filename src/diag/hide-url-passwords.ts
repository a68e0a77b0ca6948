/** What a URL's password becomes wherever polyarchiv echoes the URL. */
export const URL_PASSWORD_MASK = '***';

/**
 * `scheme://user:`: where a URL's password may start. The user name may hold what a URL parser
 * takes in one (`@` of an e-mail address as login, a space); it holds no `/`, `:`, brackets,
 * quotes, parentheses, commas, semicolons or line break, so that `host[:port]` in a help text, a
 * quoted URL followed by a remark, or a list of schemes (`file://, ssh://`) is not taken for one.
 */
const PASSWORD_START = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:[\]'"(),;\n]*:/g;

/**
 * Where the text of a URL may end: at the next URL written after white space, a quote or a
 * parenthesis, at the next `://` (a message naming two URLs), or at the end of the line (a URL
 * holds no line break: configuration values refuse control characters), else at the end of the text.
 */
const NEXT_URL = /[\s'"(][A-Za-z][A-Za-z0-9+.-]*:\/\/|:\/\/|\n/g;

/**
 * `scheme://user:password@host` → `scheme://user:***@host`, for every URL in `text`.
 *
 * Conservative, since a password may hold anything a user typed (`/`, `?`, `#`, a space, a quote,
 * `@`, `:`): everything between `scheme://user:` and the last `@` before the next URL (or the end
 * of the text) is hidden, whether or not a URL parser would read it as a password. Hiding a port
 * and a path that holds an `@` now and then is the price of never showing a password a parser
 * would have cut short.
 */
export function hideUrlPasswords(text: string): string {
  let shown = '';
  let done = 0;
  for (const [from, to] of urlPasswordSpans(text)) {
    shown += `${text.slice(done, from)}${URL_PASSWORD_MASK}`;
    done = to;
  }
  return done === 0 ? text : shown + text.slice(done);
}

/** Where `hideUrlPasswords` hides a password: each span's first index and the index of its `@`. */
export function urlPasswordSpans(text: string): Array<readonly [number, number]> {
  const spans: Array<readonly [number, number]> = [];
  if (!text.includes('://')) return spans;
  const starts = new RegExp(PASSWORD_START);
  const next = new RegExp(NEXT_URL);
  for (let start = starts.exec(text); start !== null; start = starts.exec(text)) {
    const from = start.index + start[0].length;
    next.lastIndex = from;
    const end = next.exec(text)?.index ?? text.length;
    const at = text.lastIndexOf('@', end - 1);
    if (at < from) continue;
    spans.push([from, at]);
    starts.lastIndex = at;
  }
  return spans;
}

/**
 * The password of a URL as written (`scheme://user:password@...`, also after restic's `rest:`),
 * read as a URL parser reads it, and whether it is one: the characters that end a user info
 * (`/`, `?`, `#`) would cut it short, and the URL means something else than what was written.
 * A port followed by a path that holds an `@` (`https://host:8443/files/me@example.org/`) is
 * not a password.
 */
export function urlPasswordProblem(url: string): 'cut-short' | undefined {
  const match = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#:]*:(.*)@/s.exec(url);
  const written = match?.[1];
  if (written === undefined || !/[/?#]/.test(written)) return undefined;
  return /^\d{1,5}\//.test(written) ? undefined : 'cut-short';
}

/** What a message says of a URL's password that `urlPasswordProblem` finds cut short. */
export const URL_PASSWORD_ESCAPES =
  "a password with '/', '?' and '#' %-escaped (%2F, %3F, %23): unescaped, they end the password and the rest of it is read as the host and path";
