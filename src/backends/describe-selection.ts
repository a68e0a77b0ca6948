import type { Selection } from '../planner/plan.js';

/** One line that says which points a plan covers, shared by the script header and the text plan. */
export function describeSelection(selection: Selection, mode: 'backup' | 'restore'): string {
  const parts: string[] = [];
  if (selection.onlyCollectPoints.length > 0)
    parts.push(`--only-collect-points ${selection.onlyCollectPoints.join(' ')}`);
  if (selection.onlyBackupPoints.length > 0)
    parts.push(`--only-backup-points ${selection.onlyBackupPoints.join(' ')}`);
  if (selection.skipCollect) parts.push('--skip-collect');
  if (selection.skipBackup) parts.push('--skip-backup');
  if (selection.review === true) parts.push('--review (every point as due, no state read)');
  else if (selection.force) parts.push('--force');
  if (selection.from !== undefined) parts.push(`--from ${selection.from}`);
  if (selection.at !== undefined) parts.push(`--at ${selection.at}`);
  if (selection.allowMassDelete === true) parts.push('--allow-mass-delete');
  if (parts.length > 0) return parts.join(' ');
  return mode === 'backup' ? 'every point that is due' : 'every collect point';
}
