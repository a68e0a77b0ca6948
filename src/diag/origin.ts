/** Where a piece of configuration came from: every IR node carries one. */
export interface Origin {
  /** Path of the config file as given on the command line (relative to the config directory). */
  readonly file: string;
  readonly line: number;
  /** Section header as written, e.g. `source "db"`; absent for file-level diagnostics. */
  readonly section?: string;
  readonly key?: string;
}

export function formatOrigin(origin: Origin): string {
  const where = origin.line > 0 ? `${origin.file}:${origin.line}` : origin.file;
  return origin.section === undefined ? where : `${where} [${origin.section}]`;
}
