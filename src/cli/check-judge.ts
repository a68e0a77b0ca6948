import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config/resolve.js';
import type { BoundCollectPoint } from '../engines/engine.js';
import { type Frequency, isInFuture, isOverdue, nextDue } from '../options/frequency.js';
import { futureSuccessWarning, matchesOnly } from '../planner/select.js';
import { unfinishedRestoreMark, unfinishedRestoreProblem } from '../planner/unfinished-restore.js';
import { formatTimestamp, type PointState, parseTimestamp } from '../state/point-state.js';
import { readState, stateProblemText } from '../state/read-states.js';
import type { CommonFlags } from './common-options.js';

/** Nagios names, in the order of their plugin exit codes (0 to 3). */
export const CHECK_STATUSES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const statusCode = (status: CheckStatus): number => CHECK_STATUSES.indexOf(status);

/** What `check` makes of one collect point or one (backup point, collect point) pair. */
export interface PointVerdict {
  readonly collectPoint: string;
  readonly backupPoint?: string;
  /** `site` or `site:mirror`, as the messages name it. */
  readonly label: string;
  readonly frequency: Frequency;
  readonly stateFile: string;
  readonly state: PointState;
  readonly status: CheckStatus;
  /** Why the status is not OK. */
  readonly problem?: string;
  readonly lastSuccess?: Date;
  readonly lastFailure?: Date;
  /** When a new run becomes due; `now` when it is due, undefined when every run is due. */
  readonly nextDue?: Date;
  /** Bytes the collect point held after its last success (its copies' figures, `du -sb` of the rest); pairs measure nothing. */
  readonly size?: number;
}

interface Target {
  readonly collectPoint: string;
  readonly backupPoint?: string;
  readonly frequency: Frequency;
  readonly stateFile: string;
  /** The collect point itself, when the target is one: a restore of it may not have ended. */
  readonly restored?: BoundCollectPoint;
}

/** Every selected point and pair with its state file, in configuration order. */
function targets(config: ResolvedConfig, flags: CommonFlags): Target[] {
  const found: Target[] = [];
  for (const cp of config.collectPoints) {
    if (!matchesOnly(flags.onlyCollectPoints, cp.name, cp.tags)) continue;
    found.push({
      collectPoint: cp.name,
      frequency: cp.frequency,
      stateFile: cp.layout.stateFile,
      restored: cp,
    });
    for (const pair of config.pairs.filter((p) => p.collectPoint === cp.name)) {
      if (!matchesOnly(flags.onlyBackupPoints, pair.name, pair.tags)) continue;
      // The backup point's own frequency judges the pair (the original used the collect point's).
      found.push({
        collectPoint: cp.name,
        backupPoint: pair.name,
        frequency: pair.frequency,
        stateFile: pair.stateFile,
      });
    }
  }
  return found;
}

/**
 * Reads each selected point's state file and judges its freshness at `now`; a collect point whose
 * restore did not end is critical whatever its state says: every backup of it fails until then.
 */
export function judgePoints(config: ResolvedConfig, flags: CommonFlags, now: Date): PointVerdict[] {
  return targets(config, flags).map((target) => judge(target, now));
}

function judge(target: Target, now: Date): PointVerdict {
  const label =
    target.backupPoint === undefined ? target.collectPoint : `${target.collectPoint}:${target.backupPoint}`;
  const { state, problem } = readState(target.stateFile);
  const lastSuccess = parseTimestamp(state.last_success);
  const lastFailure = parseTimestamp(state.last_fail);
  const [status, why]: [CheckStatus, string?] =
    target.restored !== undefined && existsSync(unfinishedRestoreMark(target.restored))
      ? ['CRITICAL', unfinishedRestoreProblem(target.restored)]
      : problem !== undefined
        ? ['UNKNOWN', `cannot judge ${label}: ${stateProblemText(target.stateFile, problem)}`]
        : state.last_state_valid === false
          ? ['CRITICAL', `the last backup of ${label} has failed: ${state.last_message}`]
          : lastSuccess === undefined
            ? ['CRITICAL', `no successful backup of ${label}`]
            : isInFuture(lastSuccess, now)
              ? ['WARNING', futureSuccessWarning(label, lastSuccess)]
              : isOverdue(target.frequency, lastSuccess, now)
                ? ['WARNING', `the last backup of ${label} is out of date: ${formatTimestamp(lastSuccess)}`]
                : ['OK'];
  const next = problem === undefined ? nextDue(target.frequency, lastSuccess, now) : undefined;
  const measured = target.backupPoint === undefined && lastSuccess !== undefined && problem === undefined;
  const { restored: _, ...point } = target;
  return {
    ...point,
    label,
    state,
    status,
    ...(why === undefined ? {} : { problem: why }),
    ...(lastSuccess === undefined ? {} : { lastSuccess }),
    ...(lastFailure === undefined ? {} : { lastFailure }),
    ...(next === undefined ? {} : { nextDue: next < now ? now : next }),
    ...(measured ? { size: state.total_size } : {}),
  };
}

/** A failure outranks a state that cannot be judged, which outranks a late backup. */
export function overallStatus(verdicts: readonly PointVerdict[]): CheckStatus {
  for (const status of ['CRITICAL', 'UNKNOWN', 'WARNING'] as const)
    if (verdicts.some((v) => v.status === status)) return status;
  return 'OK';
}

/** The problems in the order of their weight, then of the configuration: check's message. */
export function problemsByWeight(verdicts: readonly PointVerdict[]): string[] {
  return (['CRITICAL', 'UNKNOWN', 'WARNING'] as const).flatMap((status) =>
    verdicts.filter((v) => v.status === status).map((v) => v.problem as string),
  );
}
