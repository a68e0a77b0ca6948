import { createRequire } from 'node:module';

/**
 * shell-quote handles the rare word that holds a single quote; it is loaded on that first word,
 * so that a run that quotes nothing of the kind (every `apply`, most plans) never loads it.
 */
let quoteWords: typeof import('shell-quote').quote | undefined;
const load = createRequire(import.meta.url);

/** Characters bash reads literally in a bare word. */
const BARE = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-')
  BARE[c.charCodeAt(0)] = 1;
const EQUALS = '='.charCodeAt(0);
const DASH = '-'.charCodeAt(0);

/**
 * A word that needs no quotes: bare characters only, or an option with a value (`--opt=value`,
 * whose value may hold more `=`). One pass over the characters, not regular expressions: a plan of
 * thousands of units quotes hundreds of thousands of words.
 */
function isBare(text: string): boolean {
  let equals = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 128 && BARE[code] === 1) continue;
    if (code !== EQUALS) return false;
    if (equals < 0) equals = i;
  }
  return text.length > 0 && (equals < 0 || (equals > 0 && text.charCodeAt(0) === DASH));
}

/**
 * Words that need quotes, quoted: most are the same few words in every unit (rsync's filters,
 * find's format, awk's program), quoted once. Emptied when full, so that words met only once
 * (a unit's paths with a space) never pile up.
 */
const quotedWords = new Map<string, string>();
const QUOTED_WORDS_KEPT = 1024;

/** One shell word that bash reads back as exactly `text`, in the most readable form. */
export function shellWord(text: string): string {
  if (isBare(text)) return text;
  let quoted = quotedWords.get(text);
  if (quoted === undefined) {
    if (quotedWords.size >= QUOTED_WORDS_KEPT) quotedWords.clear();
    quoted = quotedWord(text);
    quotedWords.set(text, quoted);
  }
  return quoted;
}

function quotedWord(text: string): string {
  // Single quotes around $ or ` read as a forgotten expansion (shellcheck SC2016): escape in double quotes.
  if (/[$`]/.test(text)) return `"${text.replace(/[\\"$`]/g, '\\$&')}"`;
  if (!text.includes("'")) return `'${text}'`;
  quoteWords ??= (load('shell-quote') as typeof import('shell-quote')).quote;
  return quoteWords([text]);
}

/** A bash function name from free text (point names come from file names). */
export function functionName(prefix: string, text: string): string {
  return `${prefix}_${text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

/** Comment lines never let a newline out of the comment. */
export function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
