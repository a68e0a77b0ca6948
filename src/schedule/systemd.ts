import { describeFrequency } from '../options/frequency.js';
import type { ScheduleGroup } from './groups.js';
import { backupArgv, generatedHeader, pointsComment, type ScheduleOptions } from './options.js';

export interface GeneratedFile {
  readonly name: string;
  readonly text: string;
}

/**
 * systemd's own quoting: a word with anything but plain characters goes in double quotes with
 * `\` and `"` escaped; `%` (specifiers) and `$` (variables) are doubled everywhere.
 */
export function systemdWord(word: string): string {
  const plain = /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `"${word.replace(/[\\"]/g, '\\$&')}"`;
  return plain.replaceAll('%', '%%').replaceAll('$', '$$$$');
}

/** When the timer fires. A monthly day past the 28th is the month's last day in shorter months. */
function timerLines(f: ScheduleGroup['frequency']): string[] {
  const two = (n: number) => String(n).padStart(2, '0');
  switch (f.kind) {
    case 'seconds':
      // No calendar form for N seconds: the next run starts N seconds after the last one started.
      return ['OnActiveSec=5min', `OnUnitActiveSec=${f.seconds}s`];
    case 'hourly':
      return ['OnCalendar=*-*-* *:00:00', 'Persistent=true'];
    case 'daily':
      return [`OnCalendar=*-*-* ${two(f.hour)}:00:00`, 'Persistent=true'];
    case 'weekly':
      return [
        `OnCalendar=${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][f.weekday]} *-*-* 00:00:00`,
        'Persistent=true',
      ];
    case 'monthly': {
      const lines =
        f.day <= 28
          ? [`OnCalendar=*-*-${two(f.day)} 00:00:00`]
          : f.day === 31
            ? ['OnCalendar=*-*~01 00:00:00']
            : [`OnCalendar=*-*-${two(f.day)} 00:00:00`, 'OnCalendar=*-02~01 00:00:00'];
      return [...lines, 'Persistent=true'];
    }
  }
}

/** A service and a timer per group, named `NAME-SLUG.service` and `NAME-SLUG.timer`. */
export function systemdUnits(groups: readonly ScheduleGroup[], options: ScheduleOptions): GeneratedFile[] {
  return groups.flatMap((group) => {
    const unit = `${options.name}-${group.slug}`;
    const description = `Description=polyarchiv backups, ${describeFrequency(group.frequency)}`.replaceAll(
      '%',
      '%%',
    );
    const head = [generatedHeader(options), `# ${pointsComment(group.collectPoints, group.backupPoints)}`];
    const exec = backupArgv(options, group.selection, false).map(systemdWord).join(' ');
    const service = [
      ...head,
      '[Unit]',
      description,
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${exec}`,
      `Nice=${options.nice}`,
      'IOSchedulingClass=idle',
      // systemd gives a service HOME only with User=; tools keep their caches and settings there
      // (restic warns and works without a cache). %h is root's home under the system manager, the
      // user's under a user manager.
      ...(options.user === undefined ? ['Environment=HOME=%h'] : [`User=${options.user}`]),
    ];
    const timer = [
      ...head,
      '[Unit]',
      description,
      '',
      '[Timer]',
      ...timerLines(group.frequency),
      ...(options.randomizedDelaySeconds === undefined
        ? []
        : [`RandomizedDelaySec=${options.randomizedDelaySeconds}`]),
      '',
      '[Install]',
      'WantedBy=timers.target',
    ];
    return [
      { name: `${unit}.service`, text: `${service.join('\n')}\n` },
      { name: `${unit}.timer`, text: `${timer.join('\n')}\n` },
    ];
  });
}
