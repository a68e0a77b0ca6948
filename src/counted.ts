/** `1 file`, `2 files`: a count and its noun, singular for one. */
export const counted = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
