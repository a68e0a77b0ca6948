import { describeFrequency } from '../options/frequency.js';
import { formatTimestamp } from '../state/point-state.js';
import { type CheckStatus, overallStatus, type PointVerdict, statusCode } from './check-judge.js';

/** Bumped when a field of `check --format json` changes meaning or disappears. */
export const CHECK_FORMAT_VERSION = 1;

const timestamp = (date: Date | undefined) => (date === undefined ? null : formatTimestamp(date));

/** `check --format json`: every judged point in configuration order, keys in a fixed order. */
export function checkJson(verdicts: readonly PointVerdict[], now: Date): string {
  const status = overallStatus(verdicts);
  const document = {
    formatVersion: CHECK_FORMAT_VERSION,
    checkedAt: formatTimestamp(now),
    status,
    code: statusCode(status),
    points: verdicts.map((v) => ({
      collectPoint: v.collectPoint,
      backupPoint: v.backupPoint ?? null,
      frequency: describeFrequency(v.frequency),
      status: v.status,
      message: v.problem ?? null,
      lastSuccess: timestamp(v.lastSuccess),
      lastFailure: timestamp(v.lastFailure),
      lastMessage: v.state.last_message === '' ? null : v.state.last_message,
      nextDue: timestamp(v.nextDue),
      due: v.nextDue === undefined || v.nextDue <= now,
      size: v.size ?? null,
      lastDuration: v.state.last_duration ?? null,
      successCount: v.state.success_count,
      failCount: v.state.fail_count,
      stateFile: v.stateFile,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly value: (v: PointVerdict) => number | undefined;
}

const seconds = (date: Date | undefined) =>
  date === undefined ? undefined : Math.floor(date.getTime() / 1000);

const FAMILIES: readonly Family[] = [
  {
    name: 'polyarchiv_status',
    type: 'gauge',
    help: 'Freshness of the point as polyarchiv check judges it: 0 OK, 1 WARNING (out of date), 2 CRITICAL (last run failed or never succeeded), 3 UNKNOWN (state file unreadable or corrupt).',
    value: (v) => statusCode(v.status),
  },
  {
    name: 'polyarchiv_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'When the last successful run of the point started (Unix time); absent when it never succeeded.',
    value: (v) => seconds(v.lastSuccess),
  },
  {
    name: 'polyarchiv_last_failure_timestamp_seconds',
    type: 'gauge',
    help: 'When the last failure of the point was recorded (Unix time); absent when it never failed.',
    value: (v) => seconds(v.lastFailure),
  },
  {
    name: 'polyarchiv_next_due_timestamp_seconds',
    type: 'gauge',
    help: 'When a run of the point becomes due (Unix time; the check time when it is due now); absent when every run is due.',
    value: (v) => seconds(v.nextDue),
  },
  {
    name: 'polyarchiv_size_bytes',
    type: 'gauge',
    help: 'Bytes the collect point held after its last successful run.',
    value: (v) => v.size,
  },
  {
    name: 'polyarchiv_last_duration_seconds',
    type: 'gauge',
    help: 'How many seconds the last run of the point took, success or failure; absent before a run records it.',
    value: (v) => (v.status === 'UNKNOWN' ? undefined : v.state.last_duration),
  },
  {
    name: 'polyarchiv_successes_total',
    type: 'counter',
    help: 'Successful runs recorded in the state file of the point.',
    value: (v) => (v.status === 'UNKNOWN' ? undefined : v.state.success_count),
  },
  {
    name: 'polyarchiv_failures_total',
    type: 'counter',
    help: 'Failed runs recorded in the state file of the point.',
    value: (v) => (v.status === 'UNKNOWN' ? undefined : v.state.fail_count),
  },
];

/** The exposition format's escapes: a label value escapes `\`, `"` and newlines. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function labels(v: PointVerdict): string {
  const pairs = [['collect_point', v.collectPoint] as const];
  const all = v.backupPoint === undefined ? pairs : [...pairs, ['backup_point', v.backupPoint] as const];
  return `{${all.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/**
 * `check --format prometheus`: a node_exporter textfile collector file. Every family has its HELP
 * and TYPE lines and its samples together, points in configuration order, no sample timestamps
 * (the textfile collector refuses them).
 */
export function checkPrometheus(verdicts: readonly PointVerdict[], now: Date): string {
  const status: CheckStatus = overallStatus(verdicts);
  const lines = [
    '# HELP polyarchiv_check_timestamp_seconds When polyarchiv check wrote these metrics (Unix time).',
    '# TYPE polyarchiv_check_timestamp_seconds gauge',
    `polyarchiv_check_timestamp_seconds ${seconds(now)}`,
    '# HELP polyarchiv_check_status The worst status of all points: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    '# TYPE polyarchiv_check_status gauge',
    `polyarchiv_check_status ${statusCode(status)}`,
  ];
  for (const family of FAMILIES) {
    const samples = verdicts.flatMap((v) => {
      const value = family.value(v);
      return value === undefined ? [] : [`${family.name}${labels(v)} ${value}`];
    });
    if (samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...samples);
  }
  return `${lines.join('\n')}\n`;
}
