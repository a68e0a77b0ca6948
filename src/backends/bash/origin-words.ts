import { formatOrigin, type Origin } from '../../diag/origin.js';
import { commentText, shellWord } from './shell-word.js';

/** An origin as a script shows it: in a comment line, and as one shell word. */
export interface OriginWords {
  readonly comment: string;
  readonly word: string;
}

/**
 * The words of the origins seen last: the steps of a unit and the units of one point share
 * theirs, and a large script shows tens of thousands, each formatted, then filtered for a comment
 * and quoted. A pure function of the origin, kept for a few; emptied when full.
 */
const originWordsKept = new Map<Origin, OriginWords>();
const ORIGIN_WORDS_KEPT = 64;

export function originWords(origin: Origin): OriginWords {
  let words = originWordsKept.get(origin);
  if (words === undefined) {
    if (originWordsKept.size >= ORIGIN_WORDS_KEPT) originWordsKept.clear();
    const text = formatOrigin(origin);
    words = { comment: commentText(text), word: shellWord(text) };
    originWordsKept.set(origin, words);
  }
  return words;
}
