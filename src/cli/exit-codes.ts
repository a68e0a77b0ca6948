/** The exit codes every command shares. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  busy: 75,
  /** A defect of polyarchiv (EX_SOFTWARE). */
  internal: 70,
} as const;
