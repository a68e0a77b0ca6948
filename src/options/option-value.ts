import { didYouMean } from '../diag/did-you-mean.js';
import { URL_PASSWORD_ESCAPES, urlPasswordProblem } from '../diag/hide-url-passwords.js';
import { hasControlCharacters } from './control-characters.js';
import { FREQUENCY_FORMS, parseFrequency } from './frequency.js';
import type { OptionSpec, OptionValue } from './schema.js';

export type ConversionResult =
  | { readonly ok: true; readonly value: OptionValue }
  | {
      readonly ok: false;
      readonly expected: string;
      /** The closest value of a closed vocabulary (a choice, a boolean, a frequency's word). */
      readonly guess?: string;
    };

const TRUE_WORDS = ['1', 'ok', 'yes', 'true', 'on'];
const FALSE_WORDS = ['0', 'no', 'false', 'off', ''];

/** Converts the text of an option (after variable expansion) to its typed value. */
export function convertOption(spec: OptionSpec, text: string): ConversionResult {
  // A list may run over continuation lines: its items are trimmed, then checked.
  if (spec.type !== 'text' && spec.type !== 'list' && hasControlCharacters(text)) {
    // A newline mostly comes from indented lines below an option, which ini reads as its value's
    // continuation: the user meant an option of its own, or a list this option does not take.
    if (text.includes('\n'))
      return {
        ok: false,
        expected: `a value on one line (an indented line continues the option above it: unindent a line meant as an option of its own${spec.onHost === 'pattern-file' ? '; several patterns go one per line in a file given as @FILE' : ''})`,
      };
    return { ok: false, expected: 'a value without control characters (tab, escape...)' };
  }
  // A password cut short would reach the server as another user, host or path, or not at all.
  if ((spec.type === 'url' || spec.urlPasswordSecret !== undefined) && urlPasswordProblem(text) !== undefined)
    return { ok: false, expected: URL_PASSWORD_ESCAPES };
  switch (spec.type) {
    case 'string':
    case 'text':
      // Every other type refuses an empty value by itself.
      if (spec.required === true && text.trim() === '')
        return { ok: false, expected: 'a value: the option is required' };
      return { ok: true, value: text };
    case 'absolute-path':
      if (!text.startsWith('/') || hasParentName(text)) {
        return { ok: false, expected: "an absolute path (starting with /, without '..')" };
      }
      return withinNameLimits(text) ?? { ok: true, value: normalizePath(text) };
    case 'inner-path': {
      const parts = text.split('/').filter((p) => p !== '' && p !== '.');
      if (text.startsWith('/') || parts.includes('..') || parts.length === 0) {
        return { ok: false, expected: 'a path inside the collect point: relative, not empty, without ".."' };
      }
      return withinNameLimits(text) ?? { ok: true, value: parts.join('/') };
    }
    case 'url':
      if (text === '')
        return { ok: false, expected: 'a URL such as file:///var/backups/{name}, or an absolute path' };
      return { ok: true, value: text };
    case 'integer': {
      const [min, max] = spec.range ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      const value = Number(text);
      return /^-?\d+$/.test(text) && value >= min && value <= max
        ? { ok: true, value }
        : { ok: false, expected: `an integer from ${min} to ${max}` };
    }
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.includes(word)) return { ok: true, value: true };
      if (FALSE_WORDS.includes(word)) return { ok: true, value: false };
      return {
        ok: false,
        expected: `one of ${[...TRUE_WORDS, ...FALSE_WORDS.filter((w) => w)].join(', ')}`,
        ...booleanGuess(word),
      };
    }
    case 'list': {
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      if (items.some(hasControlCharacters)) {
        return { ok: false, expected: 'comma-separated items without control characters' };
      }
      if (spec.required === true && items.length === 0)
        return { ok: false, expected: 'at least one item: the option is required' };
      return { ok: true, value: items };
    }
    case 'frequency': {
      const frequency = parseFrequency(text);
      return frequency === undefined
        ? { ok: false, expected: FREQUENCY_FORMS, ...frequencyGuess(text) }
        : { ok: true, value: frequency };
    }
    case 'choice': {
      const choices = spec.choices ?? [];
      const match = choices.find((c) => c.toLowerCase() === text.toLowerCase());
      return match === undefined
        ? { ok: false, expected: `one of ${choices.join(', ')}`, ...guessed(text.toLowerCase(), choices) }
        : { ok: true, value: match };
    }
  }
}

/** Linux's limits on one name of a path and on a whole path, in bytes (NAME_MAX, PATH_MAX - 1). */
const NAME_BYTES = 255;
const PATH_BYTES = 4095;

/**
 * A path the kernel would refuse, told at its line: otherwise the run creates the directories
 * before it, then fails on ENAMETOOLONG.
 */
function withinNameLimits(path: string): ConversionResult | undefined {
  // A UTF-16 unit takes at most 3 bytes (a pair of them 4): most paths are short enough to pass
  // unmeasured, as every path option of thousands of points is checked.
  if (path.length * 3 <= NAME_BYTES) return undefined;
  if (Buffer.byteLength(path) > PATH_BYTES)
    return { ok: false, expected: `a path of at most ${PATH_BYTES} bytes` };
  const long = path.split('/').find((name) => Buffer.byteLength(name) > NAME_BYTES);
  if (long === undefined) return undefined;
  return {
    ok: false,
    expected: `names of at most ${NAME_BYTES} bytes between the slashes (one has ${Buffer.byteLength(long)})`,
  };
}

/** Whether a name between the slashes of `path` is `..`, found without splitting the path. */
function hasParentName(path: string): boolean {
  for (let at = path.indexOf('..'); at >= 0; at = path.indexOf('..', at + 1)) {
    const end = at + 2;
    if ((at === 0 || path[at - 1] === '/') && (end === path.length || path[end] === '/')) return true;
  }
  return false;
}

/** `{ guess }` when a candidate is close to `word` (a typing slip), else nothing. */
function guessed(word: string, candidates: readonly string[]): { guess?: string } {
  const guess = word === '' ? undefined : didYouMean(word, candidates);
  return guess === undefined ? {} : { guess };
}

/** A near miss of one meaning only: 'of' is as close to 'on' as to 'off', and guesses neither. */
function booleanGuess(word: string): { guess?: string } {
  const yes = guessed(word, TRUE_WORDS);
  const no = guessed(word, FALSE_WORDS);
  if (yes.guess !== undefined && no.guess !== undefined) return {};
  return yes.guess !== undefined ? yes : no;
}

const FREQUENCY_WORDS = ['always', 'hourly', 'daily', 'weekly', 'monthly'];

/** A frequency's word mistyped, its argument kept: 'dayly:3' -> 'daily:3'. */
function frequencyGuess(text: string): { guess?: string } {
  const [word = '', ...rest] = text.trim().toLowerCase().split(':');
  const { guess } = guessed(word, FREQUENCY_WORDS);
  if (guess === undefined) return {};
  const candidate = [guess, ...rest].join(':');
  return parseFrequency(candidate) === undefined ? {} : { guess: candidate };
}

/** Collapses `//`, `/./` and a trailing slash; `..` stays (it is meaningful for absolute paths). */
export function normalizePath(path: string): string {
  // Most paths are already normal: checked without splitting, as every option and URL is normalized.
  if (path.startsWith('/') && !/\/\.?(\/|$)/.test(path)) return path;
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}
