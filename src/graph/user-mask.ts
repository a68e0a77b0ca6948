/**
 * doveadm's user mask (`-u`, `*` and `?` wildcards, ASCII letters in either case, bytes as its C
 * code reads them) as a pattern that bash's `[[ ${user,,} == ${mask} ]]` matches under LC_ALL=C:
 * ASCII letters lowered, every character that a pattern may read otherwise escaped (extglob's
 * among them, on in `[[ == ]]`), the wildcards kept.
 */
export function maskPattern(mask: string): string {
  return [...asciiLower(mask)]
    .map((c) => (c === '*' || c === '?' || /[A-Za-z0-9_.@-]/.test(c) ? c : `\\${c}`))
    .join('');
}

/** Twin of bash's `[[ ${user,,} == ${pattern} ]]` under LC_ALL=C, for a maskPattern's pattern. */
export function matchesMask(pattern: string, user: string): boolean {
  const bytes = (text: string) => Buffer.from(text).toString('latin1');
  let source = '';
  const chars = [...bytes(pattern)];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (c === '*') source += '[^]*';
    else if (c === '?') source += '[^]';
    else {
      const literal = c === '\\' ? (chars[++i] ?? '\\') : c;
      source += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`).test(bytes(asciiLower(user)));
}

const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
