import type { ActionDraft, CopyMetadata } from '../graph/action.js';
import { copyInPlace } from './copy-in-place.js';
import type {
  BoundBackupPoint,
  BoundCollectPoint,
  BoundFilter,
  CollectLayout,
  FilterStep,
} from './engine.js';
import { backupFilterSecret, collectFilterSecret } from './secrets.js';

/** A filter and where it works, in chain order. */
export interface ChainLink {
  readonly filter: BoundFilter;
  readonly step: FilterStep;
}

/** What a collect point's chain needs before the collect point is bound (its export directory is the chain's end). */
export interface CollectChainInput {
  readonly name: string;
  readonly layout: CollectLayout;
  /** The collect engine's own export directory: the chain's input. */
  readonly base: string;
  readonly filters: readonly BoundFilter[];
  /** What failed runs of sources may leave below `base`, relative to it. */
  readonly leftovers: readonly string[];
}

/**
 * The collect point's filters, run after its own step: one working in place works on the tree
 * itself, any other writes `L/metadata/filter-<name>`, which the next one reads.
 */
export function collectChain(cp: CollectChainInput): ChainLink[] {
  let input = cp.base;
  return cp.filters.map((filter) => {
    const output = filter.engine.inPlace ? input : `${cp.layout.root}/metadata/filter-${filter.name}`;
    const step: FilterStep = {
      input,
      output,
      scratch: `${cp.layout.workDir}/filters/collect/${filter.name}`,
      excludes: input === cp.base ? cp.leftovers : [],
      what: `collect point "${cp.name}" (filter "${filter.name}")`,
      secrets: filterSecrets(filter, (option) => collectFilterSecret(cp.name, filter.name, option)),
    };
    input = output;
    return { filter, step };
  });
}

/** The directory a collect point exports: the last filter's output, else the engine's own. */
export function chainEnd(base: string, chain: readonly ChainLink[]): string {
  return chain.at(-1)?.step.output ?? base;
}

/**
 * A backup point's filters for one collect point: each writes a directory of its own,
 * `L/metadata/remote-<bp>/filter-<name>`, from the collect point's export directory or the
 * previous filter's; a filter that works in place works on a copy (the collect point's tree is
 * never changed by a backup point).
 */
export function backupChain(
  bp: BoundBackupPoint,
  cp: BoundCollectPoint,
  leftovers: readonly string[],
): ChainLink[] {
  let input = cp.exportDir;
  return bp.filters.map((filter) => {
    const step: FilterStep = {
      input,
      output: `${cp.layout.root}/metadata/remote-${bp.name}/filter-${filter.name}`,
      scratch: `${cp.layout.workDir}/filters/backup/${bp.name}/${filter.name}`,
      excludes: input === cp.exportDir ? leftovers : [],
      what: `backup point "${bp.name}" for collect point "${cp.name}" (filter "${filter.name}")`,
      secrets: filterSecrets(filter, (option) => backupFilterSecret(bp.name, cp.name, filter.name, option)),
    };
    input = step.output;
    return { filter, step };
  });
}

/** How a backup point copies trees: the filters' copies of them keep what it keeps. */
export interface ChainCopies {
  readonly metadata: CopyMetadata;
  readonly maxShrinkPercent: number;
}

/** The chain's backup steps, in order. */
export function chainBackup(chain: readonly ChainLink[], copies: ChainCopies): ActionDraft[] {
  return chain.flatMap(({ filter, step }) => {
    if (step.output === step.input || !filter.engine.inPlace) return filter.engine.backup(filter, step);
    return [
      // Unchanged files are hard links to the input's: its copies replace files, never rewrite them.
      ...copyInPlace({
        from: step.input,
        target: step.output,
        hardLinks: true,
        linkDest: step.input,
        metadata: copies.metadata,
        filters: step.excludes.map((path) => ({ rule: 'exclude', pattern: `/${path}/` })),
        origin: filter.origin,
        what: `the copy of ${step.what}`,
        maxShrinkPercent: copies.maxShrinkPercent,
      }),
      ...filter.engine.backup(filter, { ...step, input: step.output, excludes: [] }),
    ];
  });
}

/**
 * The chain's restore steps, last filter first: each gives its input back from its output. A
 * filter that works in place on a copy first checks the copy, then updates its input from it.
 */
export function chainRestore(chain: readonly ChainLink[], copies: ChainCopies): ActionDraft[] {
  return chain
    .map((link, at) => ({ filter: link.filter, step: { ...link.step, indexes: indexesIn(chain, at) } }))
    .reverse()
    .flatMap(({ filter, step }) => linkRestore(filter, step, copies));
}

/**
 * The files that the filters after `at` keep at the root of its output: an in-place filter's
 * index sits in the tree it indexes, which the filters before it never wrote.
 */
function indexesIn(chain: readonly ChainLink[], at: number): string[] {
  const output = chain[at]?.step.output;
  return chain
    .slice(at + 1)
    .flatMap(({ filter, step }) =>
      filter.engine.inPlace && step.output === output
        ? (filter.engine.rootFiles?.(filter.options) ?? [])
        : [],
    );
}

function linkRestore(filter: BoundFilter, step: FilterStep, copies: ChainCopies): ActionDraft[] {
  if (step.output === step.input || !filter.engine.inPlace) return filter.engine.restore(filter, step);
  // The filter's own index stays in its copy: the tree it came from never held it.
  const indexes = [...(filter.engine.rootFiles?.(filter.options) ?? []), ...(step.indexes ?? [])];
  return [
    ...filter.engine.restore(filter, { ...step, input: step.output }),
    ...copyInPlace({
      from: step.output,
      target: step.input,
      hardLinks: true,
      metadata: copies.metadata,
      filters: [
        ...step.excludes.map((path) => ({ rule: 'exclude' as const, pattern: `/${path}/` })),
        ...indexes.map((file) => ({ rule: 'exclude' as const, pattern: `/${rsyncLiteral(file)}` })),
      ],
      origin: filter.origin,
      what: `${step.input}, restored from ${step.what}`,
      maxShrinkPercent: copies.maxShrinkPercent,
    }),
  ];
}

/** A file name as an rsync pattern that matches only it (wildcards escaped). */
const rsyncLiteral = (name: string): string => name.replace(/[*?[\\]/g, '\\$&');

/** The variables of a filter's secret options, by option name. */
function filterSecrets(filter: BoundFilter, variable: (option: string) => string): Record<string, string> {
  return Object.fromEntries(
    filter.engine.options.filter((o) => o.secret === true).map((o) => [o.name, variable(o.name)]),
  );
}
