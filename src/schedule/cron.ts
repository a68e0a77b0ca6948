import { shellWord } from '../backends/bash/shell-word.js';
import { describeFrequency } from '../options/frequency.js';
import type { ScheduleGroup } from './groups.js';
import { backupArgv, generatedHeader, pointsComment, type ScheduleOptions } from './options.js';

/** The largest step that divides `whole` and is at most `most`: cron counts in fixed steps. */
function step(most: number, whole: number): number {
  for (let s = Math.min(most, whole); s > 1; s--) if (whole % s === 0) return s;
  return 1;
}

/**
 * Minute, hour, day of month, month, day of week. Cron has no "last day of the month" and no
 * arbitrary period: a monthly day past the 28th fires on each of the month's last days, and N
 * seconds fire at the largest step of minutes (dividing an hour) or hours (dividing a day) not
 * longer than N; the point's frequency then decides whether it is due, as with every run.
 */
export function cronTimes(f: ScheduleGroup['frequency']): string {
  switch (f.kind) {
    case 'seconds': {
      if (f.seconds < 3600) {
        const minutes = step(Math.floor(f.seconds / 60), 60);
        return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
      }
      const hours = step(Math.floor(f.seconds / 3600), 24);
      return hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
    }
    case 'hourly':
      return '0 * * * *';
    case 'daily':
      return `0 ${f.hour} * * *`;
    case 'weekly':
      return `0 0 * * ${(f.weekday + 1) % 7}`;
    case 'monthly':
      return f.day <= 28 ? `0 0 ${f.day} * *` : '0 0 28-31 * *';
  }
}

/** An `/etc/cron.d` file: one line per group, each run quiet (cron mails what it prints). */
export function cronFile(groups: readonly ScheduleGroup[], options: ScheduleOptions): string {
  const lines = [
    generatedHeader(options),
    `# Install it as /etc/cron.d/${options.name} (cron reads only names of letters, digits, _ and -).`,
    'SHELL=/bin/sh',
    // systemd's PATH for services: tools installed by hand (restic, rclone) are in /usr/local.
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ];
  const delay =
    options.randomizedDelaySeconds === undefined
      ? ''
      : `sleep "$(shuf -i 0-${options.randomizedDelaySeconds} -n 1)"; `;
  for (const group of groups) {
    const argv = backupArgv(options, group.selection, true);
    const [flock, lock, ...run] = argv;
    const command = [flock, lock, 'nice', '-n', String(options.nice), 'ionice', '-c', '3', ...run]
      .map((word) => shellWord(word as string))
      .join(' ');
    lines.push(
      '',
      `# ${describeFrequency(group.frequency)}: ${pointsComment(group.collectPoints, group.backupPoints)}`,
      // cron turns an unescaped % into a newline.
      `${cronTimes(group.frequency)} ${options.user ?? 'root'} ${delay}${command}`.replaceAll('%', '\\%'),
    );
  }
  return `${lines.join('\n')}\n`;
}
