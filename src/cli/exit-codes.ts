/** The exit codes every command shares. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  busy: 75,
  /** A defect of polyarchiv (EX_SOFTWARE). */
  internal: 70,
  /** The reader of the output went away (`plan | head`): 128 + SIGPIPE, as a shell reports a tool it stopped. */
  closedPipe: 141,
} as const;
