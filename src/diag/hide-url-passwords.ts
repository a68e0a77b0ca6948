/** What a URL's password becomes wherever polyarchiv echoes the URL. */
export const URL_PASSWORD_MASK = '***';

/**
 * `scheme://user:password@host` → `scheme://user:***@host`, for every URL in `text`. The userinfo
 * ends at the authority's last `@` (as URL parsers read it), so a password holding an unescaped
 * `@` or `:` is hidden whole; the authority ends at `/`, `?`, `#` or white space.
 */
export function hideUrlPasswords(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s:@]*):[^/?#\s]*@/g, `$1:${URL_PASSWORD_MASK}@`);
}
