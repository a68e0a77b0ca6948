import { hasControlCharacters } from '../config/control-characters.js';
import { normalizePath } from '../config/option-value.js';

export type ParsedLocation =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'unsupported'; readonly scheme: string }
  | { readonly kind: 'invalid'; readonly expected: string };

/** `file:///abs/path` or a bare `/abs/path` (reference §3.5). Other transports are recognised by scheme. */
export function parseLocation(url: string): ParsedLocation {
  if (url.startsWith('/')) return { kind: 'local', path: normalizePath(url) };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    const rest = url.slice('file://'.length);
    if (!url.startsWith('file://') || !rest.startsWith('/')) {
      return { kind: 'invalid', expected: 'file:///absolute/path (three slashes: no host part)' };
    }
    let path: string;
    try {
      path = decodeURIComponent(rest);
    } catch {
      return { kind: 'invalid', expected: 'a file:// URL with valid %-escapes' };
    }
    if (hasControlCharacters(path)) {
      return { kind: 'invalid', expected: 'a path without control characters (%-escaped or not)' };
    }
    return { kind: 'local', path: normalizePath(path) };
  }
  if (scheme !== undefined) return { kind: 'unsupported', scheme };
  return { kind: 'invalid', expected: 'file:///absolute/path or /absolute/path' };
}

/** True when `inner` is `outer` or below it. */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
}
