import type { Origin } from '../diag/origin.js';
import type { Frequency } from './frequency.js';

/**
 * One option schema drives validation, `plugins -v`, the README's engine tables and the error
 * messages, so none of them can drift from the others.
 */
export type OptionType =
  /** One line of text. */
  | 'string'
  /** Several lines allowed (templates, messages). */
  | 'text'
  /** An absolute filesystem path. */
  | 'absolute-path'
  /** A path inside the collect point: relative, without `..`. */
  | 'inner-path'
  /** A URL or a bare absolute path. */
  | 'url'
  | 'integer'
  | 'boolean'
  /** Comma-separated, trimmed, empty items dropped. */
  | 'list'
  | 'frequency'
  | 'choice';

export interface OptionSpec {
  readonly name: string;
  readonly type: OptionType;
  readonly help: string;
  readonly required?: boolean;
  /** The default as a user would write it, shown in docs; absent means "unset". */
  readonly default?: string;
  /** Never reaches argv, logs, plan text or scripts. */
  readonly secret?: boolean;
  /**
   * A URL whose password (`scheme://user:password@...`) is a secret, given to the tool apart:
   * `true`, its %-escapes read (for a tool that takes the password alone), or `as-written` (for a
   * tool that reads it back inside the URL).
   */
  readonly urlPasswordSecret?: true | 'as-written';
  /** `{variables}` are expanded; true unless stated otherwise. */
  readonly variables?: boolean;
  readonly choices?: readonly string[];
  /**
   * What the value names on this machine, checked when the configuration is loaded (not by the
   * pure passes): a `@FILE` of patterns that must be readable (an error), a directory or a local
   * user that should exist, a file the run reads (a key, a keytab) that should be readable (a
   * warning: the run fails on that unit if it is still missing), a program given by its path that
   * should be executable (a warning too).
   */
  readonly onHost?: 'pattern-file' | 'directory' | 'user' | 'readable-file' | 'executable';
  /** Smallest and largest value of an integer option (every integer option has one). */
  readonly range?: readonly [number, number];
  /** Accepted for compatibility but without effect yet: a warning says so. */
  readonly inert?: string;
}

export type OptionValue = string | number | boolean | readonly string[] | Frequency;

export interface ResolvedOption {
  readonly spec: OptionSpec;
  readonly value: OptionValue;
  /** Absent when the value is the schema default. */
  readonly origin?: Origin;
  /** The text as written, before its variables were expanded; absent when the value is the default. */
  readonly template?: string;
}

/**
 * Typed read access to an engine's resolved options; the resolver guarantees the types.
 *
 * Sections with the same keys share one map (`values`: their defaults, and the place of each key
 * they set), and each holds only what it sets (`own`): thousands of sources and pairs would
 * otherwise each copy some thirty defaults. Every key of `own` is a key that `values` holds
 * undefined, and the order of `values` is the order of `entries()`.
 */
export class OptionValues {
  constructor(
    private readonly values: ReadonlyMap<string, ResolvedOption | undefined>,
    /** Where the section starts, for options that were left at their default. */
    readonly sectionOrigin: Origin,
    private readonly own?: ReadonlyMap<string, ResolvedOption>,
  ) {}

  private option(name: string): ResolvedOption | undefined {
    return this.values.get(name) ?? this.own?.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string {
    const value = this.option(name)?.value;
    if (typeof value !== 'string') throw new Error(`option ${name} is not a resolved string`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.option(name)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  integer(name: string): number {
    const value = this.option(name)?.value;
    if (typeof value !== 'number') throw new Error(`option ${name} is not a resolved integer`);
    return value;
  }

  boolean(name: string): boolean {
    return this.option(name)?.value === true;
  }

  list(name: string): readonly string[] {
    const value = this.option(name)?.value;
    return Array.isArray(value) ? value : [];
  }

  frequency(): Frequency {
    const value = this.option('frequency')?.value;
    return typeof value === 'object' && value !== null && 'kind' in value ? value : { kind: 'always' };
  }

  /** The option's text as written, `{variables}` unexpanded; undefined when it was left out. */
  template(name: string): string | undefined {
    return this.option(name)?.template;
  }

  origin(name: string): Origin {
    return this.option(name)?.origin ?? this.sectionOrigin;
  }

  *entries(): IterableIterator<[string, ResolvedOption]> {
    for (const name of this.values.keys()) yield [name, this.option(name) as ResolvedOption];
  }

  /**
   * Each option with its name, in the order of `entries()`, without an array made for each: the
   * checks that walk every option of thousands of points would make tens of thousands.
   */
  forEach(visit: (option: ResolvedOption, name: string) => void): void {
    const own = this.own;
    this.values.forEach((shared, name) => {
      visit((shared ?? own?.get(name)) as ResolvedOption, name);
    });
  }
}
