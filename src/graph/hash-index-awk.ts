// The awk programs of the hashes filter (filter-commands.ts runs them), written for POSIX awk
// (mawk as well as gawk) under LC_ALL=C: every name is bytes, never characters.

/**
 * Reads the names of the index (lines `HASH *NAME` or `HASH  NAME`; a line starting with a
 * backslash holds a name whose backslashes, line feeds and carriage returns the checksum tool
 * wrote as `\\\\`, `\\n` and `\\r`), then the NUL-terminated names of the tree's regular files on its
 * standard input. Names each file of the tree the index does not list, and each name of the index
 * that is no longer a regular file of the tree (the checksum tool, which runs after, would block
 * on a named pipe or read a device without end); exits 1 if there is one.
 */
export const REGULAR_FILES = [
  'BEGIN {',
  '  idx = ARGV[1]',
  '  ARGV[1] = ""',
  '  while ((getline line < idx) > 0) {',
  '    escaped = substr(line, 1, 1) == "\\\\"',
  '    if (escaped) line = substr(line, 2)',
  '    name = substr(line, index(line, " ") + 2)',
  '    if (escaped) {',
  '      plain = ""',
  '      for (i = 1; i <= length(name); i++) {',
  '        c = substr(name, i, 1)',
  '        if (c == "\\\\") {',
  '          c = substr(name, ++i, 1)',
  '          c = c == "n" ? "\\n" : c == "r" ? "\\r" : c',
  '        }',
  '        plain = plain c',
  '      }',
  '      name = plain',
  '    }',
  '    if (!(name in listed)) order[++n] = name',
  '    listed[name] = 1',
  '  }',
  '  close(idx)',
  '  RS = "\\0"',
  '}',
  'function shown(name) { gsub(/\\n/, "\\\\n", name); return name }',
  '{ found[$0] = 1 }',
  '!($0 in listed) { print shown($0) ": not in the index"; unlisted++ }',
  'END {',
  '  for (i = 1; i <= n; i++)',
  '    if (!(order[i] in found)) { print shown(order[i]) ": missing, or no longer a regular file"; gone++ }',
  '  if (unlisted) printf "%d file(s) of the tree not in %s\\n", unlisted, idx > "/dev/stderr"',
  '  if (gone) printf "%d file(s) of %s missing from the tree or no longer regular files\\n", gone, idx > "/dev/stderr"',
  '  if (unlisted || gone) exit 1',
  '}',
].join('\n');

/**
 * Turns find's `NAME\0TARGET\0` pairs into one line per symbolic link, `NAME<tab>TARGET`, each
 * with its backslashes, line feeds and tabs written `\\\\`, `\\n` and `\\t`: a line per link, which
 * `sort` orders and a reader splits at its only tab.
 */
export const LINK_RECORDS = [
  'function escaped(s,   out, i, c) {',
  '  if (s !~ /[\\\\\\n\\t]/) return s',
  '  out = ""',
  '  for (i = 1; i <= length(s); i++) {',
  '    c = substr(s, i, 1)',
  '    out = out (c == "\\\\" ? "\\\\\\\\" : c == "\\n" ? "\\\\n" : c == "\\t" ? "\\\\t" : c)',
  '  }',
  '  return out',
  '}',
  'BEGIN { RS = "\\0" }',
  'NR % 2 { name = $0; next }',
  '{ print escaped(name) "\\t" escaped($0) }',
].join('\n');

/**
 * Compares the link records of the tree (on its standard input, as LINK_RECORDS writes them) with
 * those of the link index (ARGV[2]), naming each link added, removed or pointed elsewhere; exits
 * 1 if there is one. A tree without a link index has an index (ARGV[1]) written before links
 * were indexed: its links are counted, not checked.
 */
export const LINK_CHECK = [
  'BEGIN {',
  '  idx = ARGV[1]',
  '  links = ARGV[2]',
  '  ARGV[1] = ""',
  '  ARGV[2] = ""',
  '  while ((got = (getline line < links)) > 0) {',
  '    tab = index(line, "\\t")',
  '    name = substr(line, 1, tab - 1)',
  '    indexed[name] = substr(line, tab + 1)',
  '    order[++n] = name',
  '  }',
  '  old = got < 0',
  '  close(links)',
  '}',
  '{ found++; tab = index($0, "\\t"); name = substr($0, 1, tab - 1); target = substr($0, tab + 1) }',
  'old { next }',
  '{ seen[name] = 1 }',
  '!(name in indexed) { print name ": a symbolic link not in the index"; bad++; next }',
  'indexed[name] != target { print name ": a symbolic link to " target ", indexed as a link to " indexed[name]; bad++ }',
  'END {',
  '  if (old) {',
  '    if (found) printf "%d symbolic link(s) not checked: %s does not list %s (written before links were indexed)\\n", found, idx, links > "/dev/stderr"',
  '    exit 0',
  '  }',
  '  for (i = 1; i <= n; i++)',
  '    if (!(order[i] in seen)) { print order[i] ": a symbolic link of the index, missing from the tree"; bad++ }',
  '  if (bad) { printf "%d symbolic link(s) of the tree differ from %s\\n", bad, links > "/dev/stderr"; exit 1 }',
  '}',
].join('\n');
